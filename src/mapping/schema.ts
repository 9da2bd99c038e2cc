/**
 * The mapping file format (mappings/*.yaml) as one zod schema. Admins edit these files: every key is checked,
 * unknown keys are rejected, and stage names accept both the API's and the seed's words (Qualify/Qualified).
 */
import { z } from 'zod';
import { HELP_TYPES } from '../domain/index.js';
import { CONVERTERS } from './convert.js';
import { notifySectionSchema } from './notify.js';
import { registrationSectionSchema } from './registration.js';

/** Standard stages and roles a CRM stage can map to; the seed's names are accepted as aliases. */
const STAGE_ALIASES = {
  initial: 'initial',
  Created: 'initial',
  Accepted: 'initial',
  Qualify: 'Qualify',
  Qualified: 'Qualify',
  Develop: 'Develop',
  Developed: 'Develop',
  Propose: 'Propose',
  Proposed: 'Propose',
  Close: 'Close',
  Negotiated: 'Close',
  Won: 'Won',
  Lost: 'Lost',
  'on-hold': 'on-hold',
  declined: 'declined',
  expired: 'expired',
  ignore: 'ignore',
} as const;
export const stageTargetSchema = z.enum(Object.keys(STAGE_ALIASES) as [keyof typeof STAGE_ALIASES, ...(keyof typeof STAGE_ALIASES)[]]).transform((s) => STAGE_ALIASES[s]);
export type StageTarget = z.output<typeof stageTargetSchema>;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Where a deal field's value comes from: a CRM field path, a constant, or a template. */
export const sourceSchema = z.union([
  z.string().min(1),
  z.strictObject({
    field: z.string().min(1),
    convert: z.enum(CONVERTERS).optional(),
    /** Value used when the CRM field is empty. */
    default: scalar.optional(),
    /** CRM value → deal value. */
    map: z.record(z.string(), scalar).optional(),
  }),
  z.strictObject({ value: scalar.nullable() }),
  z.strictObject({ template: z.string().min(1), convert: z.enum(CONVERTERS).optional() }),
]);
export type Source = z.infer<typeof sourceSchema>;

const personSources = z.strictObject({
  firstName: sourceSchema.optional(),
  lastName: sourceSchema.optional(),
  email: sourceSchema.optional(),
  phone: sourceSchema.optional(),
});

export const fieldsSchema = z.strictObject({
  name: sourceSchema.optional(),
  customer: z
    .strictObject({
      name: sourceSchema.optional(),
      country: sourceSchema.optional(),
      city: sourceSchema.optional(),
      state: sourceSchema.optional(),
      postalCode: sourceSchema.optional(),
      addressLine1: sourceSchema.optional(),
      duns: sourceSchema.optional(),
    })
    .optional(),
  contact: personSources.optional(),
  value: sourceSchema.optional(),
  currency: sourceSchema.optional(),
  closeDate: sourceSchema.optional(),
  notes: sourceSchema.optional(),
  campaignId: sourceSchema.optional(),
  statusReason: sourceSchema.optional(),
  /** One team member (usually the opportunity owner). */
  team: personSources.optional(),
  solutions: sourceSchema.optional(),
});

const stageWriteSchema = z.union([
  scalar,
  z.strictObject({
    /** CRM fields to set for this deal stage. */
    fields: z.record(z.string(), scalar.nullable()).default({}),
    /** Close the record through the CRM's own action (Dataverse Win/LoseOpportunity). */
    close: z.enum(['won', 'lost']).optional(),
  }),
]);

export const policySchema = z.enum(['crm-wins', 'partner-center-wins', 'manual']);

const DEAL_KEYS = [
  'name',
  'customer',
  'contact',
  'value',
  'currency',
  'closeDate',
  'notes',
  'campaignId',
  'stage',
  'statusReason',
  'helpType',
  'visibleToMicrosoft',
  'team',
  'solutions',
] as const;

export const mappingSchema = z.strictObject({
  crm: z.enum(['salesforce', 'dynamics365']),
  object: z.string().default('Opportunity'),
  /** Time zone for reading date-times as dates. */
  timeZone: z.string().default('UTC'),
  stages: z.strictObject({
    /** The CRM field holding the stage. */
    field: z.string().min(1),
    /** CRM stage value → standard stage or role. */
    map: z.record(z.string(), stageTargetSchema),
    /** Checked before `map`: e.g. Dataverse statecode 1 = Won. */
    rules: z.array(z.strictObject({ field: z.string().min(1), equals: scalar, stage: stageTargetSchema })).default([]),
    /** For stage values not in `map`: the probability field and ranges. */
    byProbability: z
      .strictObject({
        field: z.string().min(1),
        ranges: z.array(z.strictObject({ min: z.number().min(0).max(100), max: z.number().min(0).max(100), stage: stageTargetSchema })).min(1),
      })
      .optional(),
    /** Deal stage → what to write to the CRM when the referral side moves it (default: the first mapped value). */
    write: z.partialRecord(z.enum(['on-hold', 'initial', 'Qualify', 'Develop', 'Propose', 'Close', 'Won', 'Lost', 'declined', 'expired']), stageWriteSchema).default({}),
  }),
  fields: fieldsSchema,
  dealType: z
    .strictObject({
      /** "How can Microsoft help?" */
      helpType: z.strictObject({ field: z.string().min(1), map: z.record(z.string(), z.enum(['None', ...HELP_TYPES])).optional() }).optional(),
      /** "May Microsoft sellers see this deal?" */
      visibility: z.strictObject({ field: z.string().min(1), map: z.record(z.string(), z.boolean()).optional() }).optional(),
    })
    .default({}),
  /** CRM solution value → solution id (unlisted values pass through). */
  solutions: z.strictObject({ map: z.record(z.string(), z.string()).default({}) }).default({ map: {} }),
  eligibility: z
    .strictObject({
      /** The "Sync with Partner Center" flag. */
      flag: z.string().min(1).optional(),
      filter: z.array(z.strictObject({ field: z.string().min(1), op: z.enum(['eq', 'ne', 'in', 'gt', 'lt', 'empty', 'notEmpty']), value: z.unknown().optional() })).default([]),
    })
    .default({ filter: [] }),
  writeBack: z.strictObject({
    referralId: z.string().min(1),
    link: z.string().optional(),
    status: z.string().optional(),
    substatus: z.string().optional(),
    salesStage: z.string().optional(),
    engagementId: z.string().optional(),
    microsoftCrmId: z.string().optional(),
    statusLine: z.strictObject({ field: z.string().min(1), maxLength: z.number().int().min(40).default(255) }).optional(),
  }),
  conflicts: z
    .strictObject({
      default: policySchema.default('crm-wins'),
      fields: z.partialRecord(z.enum(DEAL_KEYS), policySchema).default({}),
    })
    .default({ default: 'crm-wins', fields: {} }),
  inbound: z
    .strictObject({
      /** Constant CRM fields for opportunities created from inbound referrals (owner, record type, account…). */
      fields: z.record(z.string(), scalar.nullable()).default({}),
      /** Close date when the referral has none: days from today. */
      closeDateDays: z.number().int().min(0).default(30),
    })
    .default({ fields: {}, closeDateDays: 30 }),
  onDelete: z.enum(['ignore', 'close-lost']).default('ignore'),
  /** Deal registration from the CRM (issue 17). */
  registration: registrationSectionSchema.optional(),
  /** Tasks for the rep on co-sell events (issue 17). */
  notify: notifySectionSchema.optional(),
});

export type Mapping = z.infer<typeof mappingSchema>;
export type FieldsSpec = z.infer<typeof fieldsSchema>;

/** Sane defaults: deal details follow the CRM; what Microsoft decides follows the referral side. */
export const DEFAULT_POLICIES: Partial<Record<(typeof DEAL_KEYS)[number], z.infer<typeof policySchema>>> = {
  stage: 'partner-center-wins',
  statusReason: 'partner-center-wins',
};
