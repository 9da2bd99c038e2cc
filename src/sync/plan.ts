/**
 * `plan`: the three-way merge at the heart of the sync, as a pure function of
 * (base, CRM side, referral side, policy) → actions. No I/O, no clock, no randomness: the same inputs always
 * give the same plan, so every rule is unit-testable and echo suppression falls out by construction (what the
 * sync itself wrote is already in `base`, so it plans nothing).
 */
import {
  buildPatch,
  cloneDeal,
  DEAL_FIELD_KEYS,
  isTerminalStage,
  sameValue,
  type DealFieldKey,
  type DealFields,
  type DealStage,
  type Issue,
  type PatchOp,
} from '../domain/index.js';

export type FieldPolicy = 'crm-wins' | 'partner-center-wins' | 'manual';

export interface PlanInput {
  /** What both sides agreed on last time; null when the record is not linked yet. */
  base: DealFields | null;
  /** The CRM record mapped to deal fields; null when the CRM side did not change (then it equals base). */
  crm: { deal: DealFields; problems: Issue[]; deleted: boolean; defaulted?: string[] } | null;
  /** The referral canonicalized; null when it did not change since base. */
  referral: { deal: DealFields } | null;
  policy: (key: DealFieldKey) => FieldPolicy;
  onDelete: 'ignore' | 'close-lost';
  /** Incoming referrals keep what their sender set (customer, contact, help type, visibility). */
  direction?: 'Incoming' | 'Outgoing';
  /** How the CRM read back what was last agreed, where that differs from `base` (see Link.crmEcho). */
  crmEcho?: Partial<DealFields>;
  /**
   * What the CRM will read after the sync writes `value` to `key` (a many-to-one stage reads as its class);
   * undefined when the mapping cannot write that field, so the CRM keeps its own value. Absent: as written.
   */
  readBack?: (key: DealFieldKey, value: unknown) => unknown;
}

/** Fields of an inbound referral that only its sender sets: CRM differences there are not sent (nor errors). */
export const SENDER_OWNED: readonly DealFieldKey[] = ['customer', 'contact', 'helpType', 'visibleToMicrosoft'];

export interface Blocked {
  keys: DealFieldKey[];
  reason: string;
}

export interface FieldConflict {
  key: DealFieldKey;
  base: unknown;
  crm: unknown;
  referral: unknown;
}

export type Action =
  /** A new outbound referral for an eligible CRM record. */
  | { type: 'create-referral'; deal: DealFields }
  /** Send these ops to the referral (JSON Patch, stage completions in order). */
  | { type: 'patch-referral'; ops: PatchOp[]; keys: DealFieldKey[] }
  /** Write these deal fields (values from `next`) to the CRM record. */
  | { type: 'write-crm'; keys: DealFieldKey[] }
  /** An inbound referral becomes a CRM opportunity. */
  | { type: 'create-crm'; deal: DealFields }
  | { type: 'unlink' };

export interface Plan {
  actions: Action[];
  /** The base to store once every action succeeded. */
  next: DealFields | null;
  blocked: Blocked[];
  conflicts: FieldConflict[];
  /** Problems that kept CRM-side changes from being sent (bad or unmapped values). */
  problems: Issue[];
  /** The CRM's read-back of `next` where it differs from it, to store with the link. */
  echo: Partial<DealFields>;
  /** Why a record is deliberately left alone (shown to the rep as a note, not as synced). */
  note?: string;
}

const STAGE_WORD: Partial<Record<DealStage, string>> = { Won: 'Won', Lost: 'Lost', declined: 'Declined', expired: 'Expired' };
const LOST_ON_DELETE = 'Opportunity deleted in the CRM';

/** Stage moves a CRM may ask for, given where the referral is. */
export function stageMoveProblem(from: DealStage, to: DealStage): string | null {
  if (to === 'expired') return 'a referral expires on its own; it cannot be set to expired';
  if (to === 'on-hold') return from === 'on-hold' ? null : 'an accepted referral cannot go back on hold';
  if (to === 'declined' && from !== 'on-hold') return 'only an unanswered inbound referral can be declined';
  if (from === 'on-hold' && to === 'initial') return null;
  return null;
}

function planUnlinked(input: PlanInput): Plan {
  const empty: Plan = { actions: [], next: null, blocked: [], conflicts: [], problems: [], echo: {} };
  if (input.crm && !input.crm.deleted) {
    if (input.crm.problems.length) return { ...empty, problems: input.crm.problems };
    const stage = input.crm.deal.stage;
    // (decision) Deals are shared while they are worked on; one already won or lost when first seen is left alone.
    if (stage === 'Won' || stage === 'Lost') return { ...empty, note: `not shared: already ${stage === 'Won' ? 'won' : 'lost'} when first seen` };
    if (stage === 'on-hold' || stage === 'declined' || stage === 'expired') {
      return {
        ...empty,
        problems: [{ path: 'stage', message: `the ${stage} stage is for inbound referrals; move the opportunity to a sales stage to share it` }],
      };
    }
    return { ...empty, actions: [{ type: 'create-referral', deal: input.crm.deal }], next: input.crm.deal };
  }
  if (input.referral && !isTerminalStage(input.referral.deal.stage)) {
    const deal = input.referral.deal;
    // Only fields the CRM is given can read back differently; the rest are not on the new record yet.
    const echo: Partial<DealFields> = {};
    for (const key of DEAL_FIELD_KEYS) {
      const back = input.readBack?.(key, deal[key]);
      if (back !== undefined && !sameValue(back, deal[key])) (echo as Record<string, unknown>)[key] = back;
    }
    return { ...empty, actions: [{ type: 'create-crm', deal }], next: deal, echo };
  }
  return empty;
}

export function plan(input: PlanInput): Plan {
  const base = input.base;
  if (!base) return planUnlinked(input);
  const refDeal = input.referral?.deal ?? base;
  const terminal = isTerminalStage(refDeal.stage);
  if (input.crm?.deleted) return planDeleted(input, refDeal, terminal);

  const m = startMerge(input, base, refDeal, terminal);
  const senderOwned = input.direction === 'Incoming' ? SENDER_OWNED : [];
  for (const key of DEAL_FIELD_KEYS) mergeField(m, key, senderOwned.includes(key));
  const keptByCrm = closeReason(m);

  const actions: Action[] = [];
  const ops = m.toReferral.length ? buildPatch(refDeal, m.desired) : [];
  if (ops.length) actions.push({ type: 'patch-referral', ops, keys: m.toReferral });
  if (m.toCrm.length) actions.push({ type: 'write-crm', keys: m.toCrm });
  return { actions, next: m.next, blocked: m.blocked, conflicts: m.conflicts, problems: m.problems, echo: nextEcho(input, m.crmDeal, m.next, m.toCrm, keptByCrm) };
}

function planDeleted(input: PlanInput, refDeal: DealFields, terminal: boolean): Plan {
  if (input.onDelete === 'close-lost' && !terminal) {
    const target: DealFields = { ...refDeal, stage: 'Lost', statusReason: LOST_ON_DELETE };
    return {
      actions: [{ type: 'patch-referral', ops: buildPatch(refDeal, target), keys: ['stage', 'statusReason'] }, { type: 'unlink' }],
      next: target,
      blocked: [],
      conflicts: [],
      problems: [],
      echo: {},
    };
  }
  return { actions: [{ type: 'unlink' }], next: refDeal, blocked: [], conflicts: [], problems: [], echo: {} };
}

/** A linked record's three-way merge as it goes: what goes where, what is held and why. */
interface Merge {
  policy: PlanInput['policy'];
  base: DealFields;
  refDeal: DealFields;
  /** The CRM side as last read back, and as it is now (fields with a problem held at the read-back). */
  crmBase: DealFields;
  crmDeal: DealFields;
  terminal: boolean;
  problems: Issue[];
  /** The base to store once every action succeeded, and what the referral should hold. */
  next: DealFields;
  desired: DealFields;
  toReferral: DealFieldKey[];
  toCrm: DealFieldKey[];
  blocked: Blocked[];
  conflicts: FieldConflict[];
}

function startMerge(input: PlanInput, base: DealFields, refDeal: DealFields, terminal: boolean): Merge {
  // The CRM side is compared with what it read back last time, so the sync's own writes are no change.
  const crmBase: DealFields = { ...base, ...input.crmEcho };
  // A field with an unusable CRM value is reported and keeps its last agreed value; the other fields flow.
  const problems = input.crm?.problems ?? [];
  // A mapping default standing in for an empty CRM value is not an edit: it never overwrites the other side.
  const held = [...problems, ...(input.crm?.defaulted ?? []).map((path) => ({ path, message: 'default' }))];
  const crmDeal = input.crm ? withoutProblemFields(input.crm.deal, crmBase, held) : crmBase;
  return {
    policy: input.policy,
    base,
    refDeal,
    crmBase,
    crmDeal,
    terminal,
    problems,
    next: cloneDeal(base),
    desired: cloneDeal(refDeal),
    toReferral: [],
    toCrm: [],
    blocked: [],
    conflicts: [],
  };
}

function mergeField(m: Merge, key: DealFieldKey, senderOwned: boolean): void {
  const crmChanged = !senderOwned && !sameValue(m.crmBase[key], m.crmDeal[key]);
  const refChanged = !sameValue(m.base[key], m.refDeal[key]);
  if (!crmChanged && !refChanged) return;
  if (crmChanged && refChanged && sameValue(m.crmDeal[key], m.refDeal[key])) {
    (m.next as Record<DealFieldKey, unknown>)[key] = m.refDeal[key];
    return;
  }
  if (refChanged && !crmChanged) takeReferral(m, key);
  else if (crmChanged && !refChanged) sendToReferral(m, key);
  else {
    // Both sides changed the same field to different values: the field's policy decides.
    const policy = m.terminal ? 'partner-center-wins' : m.policy(key);
    if (policy === 'crm-wins') sendToReferral(m, key);
    else if (policy === 'partner-center-wins') takeReferral(m, key);
    else m.conflicts.push({ key, base: m.base[key], crm: m.crmDeal[key], referral: m.refDeal[key] });
  }
}

function block(m: Merge, key: DealFieldKey, reason: string): void {
  const same = m.blocked.find((b) => b.reason === reason);
  if (same) same.keys.push(key);
  else m.blocked.push({ keys: [key], reason });
}

function takeReferral(m: Merge, key: DealFieldKey): void {
  (m.next as Record<DealFieldKey, unknown>)[key] = m.refDeal[key];
  m.toCrm.push(key);
}

function sendToReferral(m: Merge, key: DealFieldKey): void {
  const { crmDeal, refDeal } = m;
  // A deal needs at least one team member and one solution: an empty list in the CRM means "not recorded
  // there" (no owner mapped, field blank), never "remove everyone".
  if ((key === 'team' || key === 'solutions') && crmDeal[key].length === 0) return;
  if (m.terminal) {
    block(m, key, `the referral is ${STAGE_WORD[refDeal.stage] ?? refDeal.stage}: no edit of any kind after Won, Lost, Declined or Expired`);
    return;
  }
  if (key === 'customer' && !sameValue(crmDeal.customer.country, m.base.customer.country)) {
    block(m, key, 'the customer location (country) cannot change after the referral is created');
    const rest = { ...crmDeal.customer, country: refDeal.customer.country };
    if (!sameValue(rest, refDeal.customer)) {
      m.desired.customer = rest;
      m.next.customer = { ...rest };
      m.toReferral.push(key);
    }
    return;
  }
  if (key === 'visibleToMicrosoft' && m.base.visibleToMicrosoft && !crmDeal.visibleToMicrosoft) {
    block(m, key, 'visibility to Microsoft sellers cannot be revoked once granted');
    return;
  }
  const why = key === 'stage' ? stageMoveProblem(refDeal.stage, crmDeal.stage) : null;
  if (why) {
    block(m, key, why);
    return;
  }
  (m.desired as Record<DealFieldKey, unknown>)[key] = crmDeal[key];
  (m.next as Record<DealFieldKey, unknown>)[key] = crmDeal[key];
  m.toReferral.push(key);
}

/**
 * A Lost/declined stage carries its reason in the same patch (a stand-in when the CRM gave none, which the
 * CRM does not hold: its own empty reason is what it reads back). Returns the keys the CRM keeps as it has them.
 */
function closeReason(m: Merge): DealFieldKey[] {
  const { desired, crmDeal } = m;
  if (!m.toReferral.includes('stage') || (desired.stage !== 'Lost' && desired.stage !== 'declined')) return [];
  desired.statusReason = crmDeal.statusReason ?? m.refDeal.statusReason ?? `${desired.stage === 'Lost' ? 'Lost' : 'Declined'} in the CRM (no reason given)`;
  m.next.statusReason = desired.statusReason;
  return crmDeal.statusReason === null ? ['statusReason'] : [];
}

/** The deal field a problem is about (`team[0].email` → team); null when it names none. */
export function problemKey(path: string): DealFieldKey | null {
  const head = path.split(/[.[]/)[0]!;
  return (DEAL_FIELD_KEYS as readonly string[]).includes(head) ? (head as DealFieldKey) : null;
}

/** The CRM deal with each field that has a problem put back to `fallback`; any problem naming no field holds them all. */
function withoutProblemFields(deal: DealFields, fallback: DealFields, problems: Issue[]): DealFields {
  if (problems.length === 0) return deal;
  const keys = problems.map((p) => problemKey(p.path));
  if (keys.includes(null)) return fallback;
  const out = cloneDeal(deal);
  for (const k of keys) (out as Record<DealFieldKey, unknown>)[k!] = fallback[k!];
  return out;
}

/**
 * The CRM's read-back of `next`: for each field, what the CRM will hold after this plan's writes (the read-back
 * of a written value, else the CRM's current value), kept where it differs from `next`. A CRM edit still pending
 * (blocked, in conflict) keeps the older read-back, so it is seen again next cycle.
 */
function nextEcho(input: PlanInput, crmDeal: DealFields, next: DealFields, toCrm: DealFieldKey[], keptByCrm: DealFieldKey[]): Partial<DealFields> {
  const echo: Record<string, unknown> = {};
  const previous = (input.crmEcho ?? {}) as Record<string, unknown>;
  for (const key of DEAL_FIELD_KEYS) {
    let crmNow: unknown;
    if (toCrm.includes(key)) {
      const back = input.readBack ? input.readBack(key, next[key]) : next[key];
      crmNow = back === undefined ? crmDeal[key] : back;
    } else if (keptByCrm.includes(key)) crmNow = crmDeal[key];
    else if (sameValue(crmDeal[key], next[key])) continue;
    else crmNow = previous[key];
    if (crmNow !== undefined && !sameValue(crmNow, next[key])) echo[key] = crmNow;
  }
  return echo as Partial<DealFields>;
}
