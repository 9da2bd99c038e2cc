/** The shapes of the Dataverse Web API answers the connector reads (only the fields it uses; the rest passes). */
import { z } from 'zod';

const row = z.record(z.string(), z.unknown());
const localized = z.looseObject({ UserLocalizedLabel: z.looseObject({ Label: z.string().optional() }).nullish() }).nullish();

/** A collection page; with `Prefer: odata.track-changes` the last one carries the delta link. */
export const collectionSchema = z.looseObject({ value: z.array(row), '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() });
export type CollectionPage = z.infer<typeof collectionSchema>;

export const optionSetSchema = z.looseObject({
  OptionSet: z.looseObject({ Options: z.array(z.looseObject({ Value: z.number(), State: z.number().nullish(), Label: localized })) }),
});

export const attributesSchema = z.looseObject({
  value: z.array(
    z.looseObject({
      LogicalName: z.string(),
      DisplayName: localized,
      AttributeType: z.string().nullish(),
      IsCustomAttribute: z.boolean().nullish(),
      IsValidForUpdate: z.boolean().nullish(),
    }),
  ),
});

const errorBodySchema = z.looseObject({ error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }) });

/** The `error` of a parsed error answer (undefined when the body has none or another shape). */
export function errorField(json: unknown): { code?: string | undefined; message?: string | undefined } | undefined {
  const parsed = errorBodySchema.safeParse(json);
  return parsed.success ? parsed.data.error : undefined;
}
