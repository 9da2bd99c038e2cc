/** The shapes of the Salesforce REST answers the connector reads (only the fields it uses; the rest passes). */
import { z } from 'zod';
import { answerRow } from '../shared/index.js';

export const queryPageSchema = z.looseObject({ records: z.array(answerRow), done: z.boolean(), nextRecordsUrl: z.string().optional() });

export const describeSchema = z.looseObject({
  fields: z.array(
    z.looseObject({
      name: z.string(),
      label: z.string(),
      type: z.string(),
      custom: z.boolean(),
      updateable: z.boolean(),
      picklistValues: z.array(z.looseObject({ value: z.string(), label: z.string(), active: z.boolean() })).optional(),
    }),
  ),
});

/** One sObject save result (collections answer a list of them, a single create one). */
const saveResult = z.looseObject({
  id: z.string().nullish(),
  success: z.boolean(),
  errors: z.array(z.looseObject({ statusCode: z.string().optional(), message: z.string().optional() })).optional(),
});
export const saveResultsSchema = z.union([z.array(saveResult), saveResult.transform((r) => [r])]);
