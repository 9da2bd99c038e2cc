/**
 * The referral resource of the Partner Center Referrals API (referrals-api.md) as zod schemas. Two flavours
 * share one definition: `loose` keeps unknown properties (reading what Partner Center returns, which grows
 * over time) and `strict` rejects them (the referral store validating a client's body).
 *
 * Partner Center binds JSON case-insensitively (its own docs send `ConsentToContact`), so keys are normalised
 * to camelCase first; the docs' misspelled consent key `consentToToShareInfoWithOthers` is accepted and mapped.
 */
import { z } from 'zod';
import { STATUSES, SUBSTATUSES } from './lifecycle.js';
import { SALES_STAGES } from './stages.js';

export const HELP_TYPES = [
  'GeneralOrOther',
  'CustomerTechnicalArchitecture',
  'ProofOfConceptOrDemo',
  'QuotesOrLicensing',
  'PostSalesCustomerSuccess',
  'WorkloadSpecificValueProposition',
] as const;
export type HelpType = (typeof HELP_TYPES)[number];
/** The CRMs' help picklist: "None" (no help wanted), then each help type, in the order Dataverse option values follow. */
export const HELP_PICKLIST = ['None', ...HELP_TYPES] as const;

/** A documented help type for any code read from an API ("Unknown" and other strays mean help of some kind). */
export function asHelpType(code: string | null | undefined): HelpType | null {
  if (!code || code === 'None') return null;
  return (HELP_TYPES as readonly string[]).includes(code) ? (code as HelpType) : 'GeneralOrOther';
}

/** The Microsoft organization's id in `invitedBy` / `target`. */
export const MICROSOFT_ORG_ID = 'msft';

/** The documented (misspelled) consent key, written when talking to Partner Center. */
export const DOCUMENTED_CONSENT_KEY = 'consentToToShareInfoWithOthers';

/**
 * One key in the API's camelCase: first letter lower-cased, the docs' `ID` spelling (`ID`, `EngagementID`,
 * `ExternalReferenceID`) read as `id`/`…Id`, and the misspelled consent key mapped to its plain form.
 */
export function normalizeKey(key: string): string {
  // Fast path for the keys every answer is made of (already camelCase): no string is built for them.
  const first = key.charCodeAt(0);
  if (first >= 97 && first <= 122 && !key.endsWith('ID') && key !== DOCUMENTED_CONSENT_KEY) return key;
  let k = key === 'ID' ? 'id' : key.length > 2 && key.endsWith('ID') ? `${key.slice(0, -2)}Id` : key;
  k = k.length > 0 && k[0] !== k[0]!.toLowerCase() ? k[0]!.toLowerCase() + k.slice(1) : k;
  return k === DOCUMENTED_CONSENT_KEY ? 'consentToShareInfoWithOthers' : k;
}

/**
 * Recursively normalise every key (see `normalizeKey`). Only the objects on a path that changes are copied:
 * a Partner Center answer differs in one key (the misspelled consent flag), not in hundreds.
 */
export function normalizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = normalizeKeys(value[i]);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  const src = value as Record<string, unknown>;
  const keys = Object.keys(src);
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const key = normalizeKey(k);
    const v = normalizeKeys(src[k]);
    if (out === null && (key !== k || v !== src[k] || key === '__proto__')) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = src[keys[j]!];
    }
    if (out === null) continue;
    // Both consent spellings present: the first one wins. A `__proto__` key is never a field.
    if ((key in out && key === 'consentToShareInfoWithOthers') || key === '__proto__') continue;
    out[key] = v;
  }
  return out ?? value;
}

type ObjectFn = typeof z.strictObject;

const emptyObjectAsList = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? [] : v);

const isoDateTime = z.iso.datetime({ offset: true, local: false });
/** Partner Center sometimes sends numbers as strings (its own PATCH example does: "10000"). */
const money = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

function build(obj: ObjectFn, strict: boolean) {
  const member = obj({
    firstName: z.string().nullish(),
    lastName: z.string().nullish(),
    phoneNumber: z.string().nullish(),
    email: z.string().nullish(),
    contactPreference: z.looseObject({}).or(z.string()).nullish(),
  });
  const address = obj({
    addressLine1: z.string().nullish(),
    addressLine2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postalCode: z.string().nullish(),
    country: z.string().nullish(),
    region: z.string().nullish(),
  });
  const customerProfile = obj({
    name: z.string().nullish(),
    address: address.nullish(),
    size: z.string().nullish(),
    team: z.array(member).nullish(),
    // Older Partner Center examples send `"ids": {}` for "no ids".
    ids: z.preprocess(emptyObjectAsList, z.array(obj({ profileType: z.string(), id: z.string() })).nullish()),
  });
  const consent = obj({
    consentToShareInfoWithOthers: z.boolean().nullish(),
    consentToContact: z.boolean().nullish(),
    consentToMicrosoftToContactSpecificPartners: z.boolean().nullish(),
    consentToShareReferralWithMicrosoftSellers: z.boolean().nullish(),
  });
  const solution = obj({
    id: z.string(),
    name: z.string().nullish(),
    type: z.string().nullish(),
    publisherName: z.string().nullish(),
    solutionType: z.string().nullish(),
  });
  const requirements = obj({
    industries: z.array(z.unknown()).nullish(),
    products: z.array(z.unknown()).nullish(),
    services: z.array(z.unknown()).nullish(),
    solutions: z.array(solution).nullish(),
    additionalRequirements: z.looseObject({}).nullish(),
  });
  const details = obj({
    notes: z.string().nullish(),
    dealValue: money.nullish(),
    currency: z.string().nullish(),
    closingDateTime: isoDateTime.nullish(),
    requirements: requirements.nullish(),
    /** Marketing campaign that led to the deal (seed: "Marketing campaign ID"). */
    campaignId: z.string().nullish(),
  });
  const inviteContext = obj({
    notes: z.string().nullish(),
    // Partner Center itself answers with values outside the documented list ("Unknown"): read them, never write them.
    assistanceRequestCode: (strict ? z.enum(HELP_TYPES) : z.string()).nullish(),
    invitedBy: obj({ organizationId: z.string().nullish(), organizationName: z.string().nullish() }).nullish(),
  });
  const target = obj({ type: z.enum(['BusinessProfileLocation', 'SolutionProfile']), id: z.string() });
  const stageCompletion = obj({ salesStage: z.enum(SALES_STAGES), completedDateTime: isoDateTime });

  const referral = obj({
    id: z.string(),
    engagementId: z.string().nullish(),
    organizationId: z.string().nullish(),
    organizationName: z.string().nullish(),
    name: z.string().nullish(),
    externalReferenceId: z.string().nullish(),
    createdDateTime: isoDateTime.nullish(),
    updatedDateTime: isoDateTime.nullish(),
    expirationDateTime: isoDateTime.nullish(),
    acceptedDateTime: isoDateTime.nullish(),
    closedDateTime: isoDateTime.nullish(),
    status: z.enum(STATUSES),
    substatus: z.enum(SUBSTATUSES).nullish(),
    statusReason: z.string().nullish(),
    type: z.enum(['Independent', 'Shared']).nullish(),
    qualification: z.enum(['None', 'Direct', 'MarketingQualified', 'SalesQualified']).nullish(),
    direction: z.enum(['Incoming', 'Outgoing']).nullish(),
    favorite: z.boolean().nullish(),
    eTag: z.string().nullish(),
    salesStage: z.enum(SALES_STAGES).nullish(),
    customerProfile: customerProfile.nullish(),
    consent: consent.nullish(),
    details: details.nullish(),
    team: z.array(member).nullish(),
    inviteContext: inviteContext.nullish(),
    target: z.array(target).nullish(),
    trackingInfo: obj({ microsoftMsxId: z.string().nullish() }).nullish(),
    registrations: z.array(z.unknown()).nullish(),
    links: z.looseObject({}).nullish(),
    /** (decision) The store records each stage's completion; Partner Center may omit it. */
    stageHistory: z.array(stageCompletion).nullish(),
    /** (decision) Derived deal type, as the store stores it. */
    dealType: z.enum(['private', 'partner-led', 'co-sell', 'p2p', 'solution-assessment']).nullish(),
    partnerRole: z.string().nullish(),
    solutionArea: z.string().nullish(),
    solutionPlay: z.string().nullish(),
    referralSource: z.string().nullish(),
    callToAction: z.string().nullish(),
  });
  return { member, address, customerProfile, consent, solution, details, inviteContext, target, referral };
}

const looseParts = build(z.looseObject as unknown as ObjectFn, false);
const strictParts = build(z.strictObject, true);

/** A referral as read from an API (unknown properties kept). */
export const referralSchema = z.preprocess(normalizeKeys, looseParts.referral);
/** The same, rejecting unknown properties (the store's input validation). */
export const strictReferralSchema = z.preprocess(normalizeKeys, strictParts.referral);
/** A create body: no id/timestamps yet; status/substatus optional (outbound starts Active/Accepted). */
export const referralCreateSchema = z.preprocess(
  normalizeKeys,
  strictParts.referral.partial({ id: true, status: true }).omit({ eTag: true, createdDateTime: true, updatedDateTime: true }),
);
export const memberSchema = looseParts.member;
export const solutionSchema = looseParts.solution;

export type Referral = z.infer<typeof looseParts.referral>;
export type ReferralCreate = z.infer<typeof referralCreateSchema>;
export type Member = z.infer<typeof looseParts.member>;
export type Solution = z.infer<typeof looseParts.solution>;

/** A list response: `{ value, @odata.nextLink?, @odata.count? }`. */
export const referralListSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().nullish(),
  '@odata.count': z.number().nullish(),
});

/** JSON Patch (RFC 6902) as Partner Center accepts it: `replace` and `add` only. */
export const patchOpSchema = z.strictObject({
  op: z.enum(['replace', 'add']),
  path: z.string().regex(/^\/.*/, { error: 'expected a JSON Pointer starting with "/"' }),
  value: z.unknown(),
});
export const patchSchema = z.array(patchOpSchema).min(1);
export type PatchOp = z.infer<typeof patchOpSchema>;

/** Serialize consent with the documented key, as Partner Center expects it on the wire. */
export function toWireConsent(consent: Referral['consent']): Record<string, unknown> | undefined {
  if (!consent) return undefined;
  const { consentToShareInfoWithOthers, ...rest } = consent;
  return consentToShareInfoWithOthers === undefined ? rest : { ...rest, [DOCUMENTED_CONSENT_KEY]: consentToShareInfoWithOthers };
}
