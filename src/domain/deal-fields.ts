/**
 * `DealFields`: the one vocabulary in the middle of the sync. The CRM side is mapped into it (mapping files),
 * the referral side is canonicalized into it (here), and `plan` only ever compares two DealFields.
 */
import { z } from 'zod';
import { HELP_TYPES } from './referral.js';
import { SALES_STAGES } from './stages.js';

/**
 * The deal's whole progress as one value: before acceptance (`on-hold`), the 10 % starting point (`initial`),
 * the four markable stages, and the closing outcomes.
 */
export const DEAL_STAGES = ['on-hold', 'initial', ...SALES_STAGES, 'Won', 'Lost', 'declined', 'expired'] as const;
export const dealStageSchema = z.enum(DEAL_STAGES);
export type DealStage = z.infer<typeof dealStageSchema>;

/** Outcomes after which nothing may change (cosell-rules §4). */
export const TERMINAL_DEAL_STAGES = ['Won', 'Lost', 'declined', 'expired'] as const satisfies readonly DealStage[];
export function isTerminalStage(stage: DealStage | null | undefined): boolean {
  return (TERMINAL_DEAL_STAGES as readonly string[]).includes(stage ?? '');
}

export const personSchema = z.object({
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
});
export type Person = z.infer<typeof personSchema>;

export const customerSchema = z.object({
  name: z.string().nullable(),
  /** ISO 3166-1 alpha-2; the deal's location (immutable after creation). */
  country: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  postalCode: z.string().nullable(),
  addressLine1: z.string().nullable(),
  duns: z.string().nullable(),
});

export const dealFieldsSchema = z.object({
  name: z.string().nullable(),
  customer: customerSchema,
  /** The customer's contact person (required only when Microsoft sellers are invited). */
  contact: personSchema.nullable(),
  value: z.number().nullable(),
  /** ISO 4217. */
  currency: z.string().nullable(),
  /** Estimated close date, `YYYY-MM-DD`. */
  closeDate: z.string().nullable(),
  notes: z.string().nullable(),
  campaignId: z.string().nullable(),
  stage: dealStageSchema,
  /** Why the deal was lost or declined. */
  statusReason: z.string().nullable(),
  /** "How can Microsoft help?": a help type, or `None` (no help needed). */
  helpType: z.enum(['None', ...HELP_TYPES]),
  /** "May Microsoft sellers see this deal?" */
  visibleToMicrosoft: z.boolean(),
  team: z.array(personSchema),
  /** Solution ids. */
  solutions: z.array(z.string()),
});
export type DealFields = z.infer<typeof dealFieldsSchema>;

/** The top-level keys `plan` compares one by one (each with its own conflict policy). */
export const DEAL_FIELD_KEYS = Object.keys(dealFieldsSchema.shape) as (keyof DealFields)[];
export type DealFieldKey = keyof DealFields;

/** Facts only the referral side owns; they flow to the CRM as write-back, never the other way. */
export const referralFactsSchema = z.object({
  referralId: z.string(),
  engagementId: z.string().nullable(),
  status: z.string(),
  substatus: z.string().nullable(),
  salesStage: z.string().nullable(),
  microsoftMsxId: z.string().nullable(),
  link: z.string().nullable(),
  direction: z.enum(['Incoming', 'Outgoing']).nullable(),
  eTag: z.string().nullable(),
});
export type ReferralFacts = z.infer<typeof referralFactsSchema>;

export function emptyDealFields(): DealFields {
  return {
    name: null,
    customer: { name: null, country: null, city: null, state: null, postalCode: null, addressLine1: null, duns: null },
    contact: null,
    value: null,
    currency: null,
    closeDate: null,
    notes: null,
    campaignId: null,
    stage: 'initial',
    statusReason: null,
    helpType: 'None',
    visibleToMicrosoft: false,
    team: [],
    solutions: [],
  };
}

function normText(v: unknown): unknown {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  return v;
}

/** Canonical form for comparison: trimmed strings, '' = null, people ordered by email then name. */
export function normalizeValue(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(normalizeValue);
    // Lists are sets here (team, solutions): order carries no meaning.
    return items.every((i) => typeof i === 'object' && i !== null)
      ? [...items].sort((a, b) => personKey(a).localeCompare(personKey(b)))
      : [...items].sort((a, b) => String(a).localeCompare(String(b)));
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = normalizeValue((v as Record<string, unknown>)[k]);
    return out;
  }
  return normText(v);
}

function personKey(p: unknown): string {
  const o = p as Record<string, unknown>;
  return `${String(o.email ?? '').toLowerCase()}|${String(o.lastName ?? '')}|${String(o.firstName ?? '')}`;
}

/**
 * Equal after normalisation (trimmed strings, '' = null, lists as sets), without building copies: this runs
 * for every field of every record in a cycle.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  const aObj = a !== null && typeof a === 'object';
  const bObj = b !== null && typeof b === 'object';
  if (!aObj && !bObj) return normText(a ?? null) === normText(b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    const x = Array.isArray(a) ? a : [];
    const y = Array.isArray(b) ? b : [];
    if (x.length !== y.length) return false;
    const used = new Array<boolean>(y.length).fill(false);
    return x.every((item) => {
      const j = y.findIndex((other, k) => !used[k] && sameValue(item, other));
      if (j < 0) return false;
      used[j] = true;
      return true;
    });
  }
  const x = (aObj ? a : {}) as Record<string, unknown>;
  const y = (bObj ? b : {}) as Record<string, unknown>;
  for (const k in x) if (!sameValue(x[k], y[k])) return false;
  for (const k in y) if (!(k in x) && !sameValue(null, y[k])) return false;
  return true;
}

/** A copy safe to change (the lists and the customer are copied; values themselves are never mutated). */
export function cloneDeal(d: DealFields): DealFields {
  return { ...d, customer: { ...d.customer }, contact: d.contact ? { ...d.contact } : null, team: d.team.map((p) => ({ ...p })), solutions: [...d.solutions] };
}

/** The keys whose values differ between two DealFields. */
export function changedKeys(a: DealFields, b: DealFields): DealFieldKey[] {
  return DEAL_FIELD_KEYS.filter((k) => !sameValue(a[k], b[k]));
}
