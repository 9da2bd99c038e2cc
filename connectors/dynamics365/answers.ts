/** The shapes of the Dataverse Web API answers the connector reads (only the fields it uses; the rest passes). */
import { z } from 'zod';
import { answerRow } from '../shared/index.js';

const localized = z.looseObject({ UserLocalizedLabel: z.looseObject({ Label: z.string().optional() }).nullish() }).nullish();

/** A collection page; with `Prefer: odata.track-changes` the last one carries the delta link. */
export const collectionSchema = z.looseObject({ value: z.array(answerRow), '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() });
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

/** The row id at the end of an OData-EntityId header. */
const ENTITY_ID = /\(([0-9a-fA-F-]{36})\)\s*$/;
export const entityIdOf = (header: string | undefined): string | undefined => (header ? ENTITY_ID.exec(header)?.[1] : undefined);

/** One answer inside a `$batch` response, as the multipart reader splits it (header names lower-cased). */
export const batchAnswerSchema = z
  .strictObject({
    statusLine: z.string().regex(/^HTTP\/1\.[01] [1-5]\d\d(?: |$)/, { error: 'expected an HTTP status line like "HTTP/1.1 204 No Content"' }),
    headers: z.record(z.string(), z.string()).check(
      z.refine((h) => h['odata-entityid'] === undefined || ENTITY_ID.test(h['odata-entityid']), {
        error: 'expected OData-EntityId to end with the row id, like …/opportunities(<guid>)',
        path: ['odata-entityid'],
      }),
    ),
    body: z.string(),
  })
  .transform(({ statusLine, headers, body }) => ({ status: Number(statusLine.slice(9, 12)), headers, body }));
export type BatchAnswer = z.output<typeof batchAnswerSchema>;

const errorBodySchema = z.looseObject({ error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }) });

/** The `error` of a parsed error answer (undefined when the body has none or another shape). */
export function errorField(json: unknown): { code?: string | undefined; message?: string | undefined } | undefined {
  const parsed = errorBodySchema.safeParse(json);
  return parsed.success ? parsed.data.error : undefined;
}
