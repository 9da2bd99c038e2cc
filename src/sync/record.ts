/**
 * Syncing one record: plan it, make its referral calls (re-planning on a 412), and return what the page must
 * write to the CRM and commit to the state. CRM writes are not made here: the page batches them.
 */
import type { CrmRecord } from '../../connectors/index.js';
import {
  dealFieldsToCreate,
  dealPathOf,
  referralFacts,
  referralToDealFields,
  stepwise,
  validateCreate,
  invitesMicrosoft,
  type DealFieldKey,
  type DealFields,
  type Issue,
  type PatchOp,
  type Referral,
  type ReferralFacts,
} from '../domain/index.js';
import { ConflictError, NotFoundError, StagesIncompleteError, TerminalStateError, ValidationError } from '../runtime/index.js';
import type { Link } from '../state/index.js';
import { plan, problemKey, SENDER_OWNED, type Blocked, type FieldConflict, type Plan, type PlanInput } from './plan.js';
import type { MappingPort, ReferralsPort, ReferralWithEtag } from './ports.js';
import type { StatusMark } from './status-line.js';

/** A 412 is re-read and re-planned at most this many times, then reported. */
export const MAX_REPLANS = 3;

export interface RecordWork {
  link: Link | null;
  crmRecord: CrmRecord | null;
  /** The referral as pulled or read (with its ETag), when the referral side is known to have changed. */
  referral: ReferralWithEtag | null;
  /** A create for this record may already have reached the referrals API (crash healing). */
  createPending?: boolean;
}

export interface RecordOutcome {
  crmId: string | null;
  referralId: string | null;
  /** Link to store (null = leave as is / nothing to link). */
  link: Omit<Link, 'connection' | 'updatedAt'> | null;
  unlink: boolean;
  /** Deal fields to write to the CRM (values from `next`), plus the write-back facts. */
  crmWrite: { keys: DealFieldKey[]; facts: ReferralFacts | null; close?: { outcome: 'won' | 'lost'; reason?: string } } | null;
  /** An inbound referral that needs a new CRM opportunity. */
  crmCreate: { deal: DealFields; facts: ReferralFacts; echo: Partial<DealFields> } | null;
  blocked: Blocked[];
  conflicts: FieldConflict[];
  problems: Issue[];
  /** The problems are the referrals API's refusal, not the CRM record's data (so re-reading the CRM won't help). */
  rejected?: boolean;
  /** One short line for the rep (without the time): 'synced' or what went wrong. */
  status: { ok: StatusMark; reason: string } | null;
  counters: { created: number; updated: number; blocked: number };
  /** The planned actions, for `cosell-sync plan`. */
  planned: Plan['actions'];
}

export interface RecordContext {
  mapping: MappingPort;
  referrals: ReferralsPort;
  /** Plan only: make no call that writes. */
  dryRun: boolean;
}

function issueText(problems: Issue[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

function etagOf(r: ReferralWithEtag): string | null {
  return r.etag ?? r.referral.eTag ?? null;
}

async function createReferral(ctx: RecordContext, crmId: string, deal: DealFields, pending: boolean): Promise<ReferralWithEtag> {
  // A create that may have reached the server before a crash is looked up first: never two referrals.
  const existing = pending ? await ctx.referrals.findByExternalReference(crmId) : null;
  return existing ?? (await ctx.referrals.create(dealFieldsToCreate(deal, crmId)));
}

/** A patch, re-sent one stage per update when the referral refuses the jump (a solution assessment). */
async function patchReferral(ctx: RecordContext, id: string, ops: PatchOp[], etag: string | null): Promise<ReferralWithEtag> {
  try {
    return await ctx.referrals.patch(id, ops, etag);
  } catch (err) {
    if (!(err instanceof StagesIncompleteError) || stepwise(ops).length === 1) throw err;
    return patchStepwise(ctx, id, ops, etag);
  }
}

async function patchStepwise(ctx: RecordContext, id: string, ops: PatchOp[], etag: string | null): Promise<ReferralWithEtag> {
  let result: ReferralWithEtag | null = null;
  for (const step of stepwise(ops)) {
    result = await ctx.referrals.patch(id, step, result ? etagOf(result) : etag);
  }
  return result!;
}

/** A problem as the rep reads it: led by the CRM field it comes from, unless the message names it already. */
function onCrmField(ctx: RecordContext, i: Issue): Issue {
  const field = ctx.mapping.fieldFor?.(i.path);
  return field && !i.message.startsWith(field) ? { path: i.path, message: `${field}: ${i.message}` } : i;
}

/** A deal field by its CRM field where it has a single one (`value` → `Amount`), else by its own name. */
function crmLabel(ctx: RecordContext, key: string): string {
  const field = ctx.mapping.fieldFor?.(key);
  return field && !field.includes(', ') ? field : key;
}

/**
 * Co-sell rule problems of what the plan would send, on the CRM's terms: each names the deal field and the CRM
 * field it comes from (`team.email: Owner.Email: e-mail address is required`). A create is checked whole; an
 * update only on the fields it changes (an inbound referral may lack what its sender left out).
 */
function ruleProblems(ctx: RecordContext, p: Plan, crmId: string | null): Issue[] {
  const create = p.actions.find((a) => a.type === 'create-referral');
  const patch = p.actions.find((a) => a.type === 'patch-referral');
  const deal = create?.type === 'create-referral' ? create.deal : patch ? p.next : null;
  if (!deal || !crmId) return [];
  const body = dealFieldsToCreate(deal, crmId);
  const issues = validateCreate(body, { microsoftInvited: invitesMicrosoft(body) }).map((i) => onCrmField(ctx, { path: dealPathOf(i.path), message: i.message }));
  if (create) return issues;
  const keys = patch?.type === 'patch-referral' ? patch.keys : [];
  return issues.filter((i) => keys.includes(problemKey(i.path)!));
}

/** On an inbound referral the sender owns the customer and contact: gaps there in the CRM are not problems. */
function senderOwnedIgnored<T extends { deal: DealFields; problems: Issue[] }>(m: T, direction: string): T {
  if (direction !== 'Incoming') return m;
  const owned = SENDER_OWNED as readonly string[];
  return { ...m, problems: m.problems.filter((p) => !owned.includes(p.path.split('.')[0]!)) };
}

type CrmSide = PlanInput['crm'];
type DealDirection = NonNullable<PlanInput['direction']>;

/** The CRM record as the plan sees it: mapped to deal fields, sender-owned gaps ignored on an inbound referral. */
function crmSideOf(ctx: RecordContext, work: RecordWork, direction: DealDirection): CrmSide {
  if (!work.crmRecord) return null;
  const mapped = !work.crmRecord.deleted ? senderOwnedIgnored(ctx.mapping.toDeal(work.crmRecord), direction) : null;
  return { deal: mapped?.deal ?? work.link?.base ?? (null as never), problems: mapped?.problems ?? [], deleted: work.crmRecord.deleted, defaulted: mapped?.defaulted ?? [] };
}

export function emptyOutcome(crmId: string | null, referralId: string | null): RecordOutcome {
  return {
    crmId,
    referralId,
    link: null,
    unlink: false,
    crmWrite: null,
    crmCreate: null,
    blocked: [],
    conflicts: [],
    problems: [],
    status: null,
    counters: { created: 0, updated: 0, blocked: 0 },
    planned: [],
  };
}

export async function syncRecord(ctx: RecordContext, work: RecordWork): Promise<RecordOutcome> {
  const crmId = work.link?.crmId ?? work.crmRecord?.id ?? null;
  const direction: DealDirection = work.link?.direction ?? work.referral?.referral.direction ?? 'Outgoing';
  const crmSide = crmSideOf(ctx, work, direction);
  let referral = work.referral;
  const outcome = emptyOutcome(crmId, work.link?.referralId ?? referral?.referral.id ?? null);

  for (let attempt = 0; ; attempt++) {
    const { p, invalid, creating } = planRecord(ctx, work, crmSide, referral, direction, crmId);
    outcome.planned = p.actions;
    outcome.blocked = p.blocked;
    outcome.conflicts = p.conflicts;
    outcome.problems = p.problems.map((i) => onCrmField(ctx, i));

    if (invalid.length && creating) {
      outcome.problems.push(...invalid);
      outcome.status = { ok: false, reason: issueText(invalid) };
      return outcome;
    }
    if (ctx.dryRun) return outcome;

    try {
      return finish(ctx, work, p, await applyActions(ctx, work, p, referral, outcome), outcome);
    } catch (err) {
      if ((err instanceof ConflictError || err instanceof TerminalStateError) && attempt < MAX_REPLANS && work.link) {
        // Someone changed the referral meanwhile: read it again and plan against what is really there.
        referral = await ctx.referrals.read(work.link.referralId);
        if (!referral) throw new NotFoundError(`referral ${work.link.referralId} no longer exists`);
        continue;
      }
      return refused(outcome, err);
    }
  }
}

/** The record's plan against the referral as known; the co-sell rules are checked before any call, so the rep reads the reason instead of a rejected call. */
function planRecord(ctx: RecordContext, work: RecordWork, crmSide: CrmSide, referral: ReferralWithEtag | null, direction: DealDirection, crmId: string | null) {
  const known = referral ? referralToDealFields(referral.referral) : (work.link?.referralSnapshot ?? null);
  const planWith = (invalid: Issue[]) =>
    plan({
      base: work.link?.base ?? null,
      crm: crmSide && invalid.length ? { ...crmSide, problems: [...crmSide.problems, ...invalid] } : crmSide,
      referral: known ? { deal: known } : null,
      policy: (k) => ctx.mapping.policy(k),
      onDelete: ctx.mapping.onDelete,
      direction,
      crmEcho: work.link?.crmEcho ?? {},
      ...(ctx.mapping.readBack ? { readBack: (k: DealFieldKey, v: unknown) => ctx.mapping.readBack!(k, v) } : {}),
    });
  const first = planWith([]);
  const invalid = ruleProblems(ctx, first, crmId);
  const creating = first.actions.some((a) => a.type === 'create-referral');
  // A change that would make a linked deal invalid is held (that field only) and reported; the rest flows.
  const p = invalid.length && !creating && crmSide ? planWith(invalid) : first;
  return { p, invalid, creating };
}

/** The plan's referral calls, in order; the referral as the last call left it. */
async function applyActions(ctx: RecordContext, work: RecordWork, p: Plan, referral: ReferralWithEtag | null, outcome: RecordOutcome): Promise<ReferralWithEtag | null> {
  let result: ReferralWithEtag | null = referral;
  for (const action of p.actions) {
    if (action.type === 'create-referral') {
      result = await createReferral(ctx, outcome.crmId!, action.deal, work.createPending === true);
      outcome.counters.created++;
    } else if (action.type === 'patch-referral') {
      // The freshest ETag we hold: the referral just pulled or re-read, else the one stored with the link.
      result = await patchReferral(ctx, work.link!.referralId, action.ops, referral ? etagOf(referral) : (work.link?.referralEtag ?? null));
      outcome.counters.updated++;
    } else if (action.type === 'unlink') {
      outcome.unlink = true;
    }
  }
  return result;
}

/** A refusal by the referrals API is the record's problem, told to the rep; anything else is not ours to explain. */
function refused(outcome: RecordOutcome, err: unknown): RecordOutcome {
  if (err instanceof ConflictError) {
    outcome.problems.push({ path: 'referral', message: `the referral kept changing while syncing (${MAX_REPLANS} re-plans); will retry` });
  } else if (err instanceof ValidationError) {
    outcome.problems.push(...(err.problems.length ? err.problems : [{ path: 'referral', message: err.message }]));
  } else if (err instanceof TerminalStateError || err instanceof NotFoundError) {
    outcome.problems.push({ path: 'referral', message: err.message });
  } else {
    throw err;
  }
  outcome.rejected = true;
  outcome.status = { ok: false, reason: `Partner Center rejected the change: ${issueText(outcome.problems)}` };
  return outcome;
}

function finish(ctx: RecordContext, work: RecordWork, p: Plan, result: ReferralWithEtag | null, outcome: RecordOutcome): RecordOutcome {
  const referral: Referral | null = result?.referral ?? null;
  const facts = referral ? { ...referralFacts(referral, ctx.referrals.linkFor(referral.id)), eTag: etagOf(result!) } : null;
  const next = p.next;
  const crmId = outcome.crmId;
  outcome.counters.blocked = p.blocked.length ? 1 : 0;
  outcome.status = statusOf(p, outcome.problems, (k) => crmLabel(ctx, k));

  if (p.actions.some((a) => a.type === 'create-crm')) {
    outcome.crmCreate = next && facts ? { deal: next, facts, echo: p.echo } : null;
    outcome.referralId = referral?.id ?? null;
    return outcome;
  }
  const referralId = referral?.id ?? work.link?.referralId ?? null;
  if (!referralId || !next || !crmId || outcome.unlink) return outcome;

  const write = p.actions.find((a) => a.type === 'write-crm');
  const keys = write && write.type === 'write-crm' ? write.keys : [];
  // The record ends the way the mapping says whichever side ended the deal (a rep's decline on an open row too).
  const sent = p.actions.some((a) => a.type === 'patch-referral' && a.keys.includes('stage'));
  const close = keys.includes('stage') || sent ? ctx.mapping.closeFor?.(next.stage, work.crmRecord?.fields) : undefined;
  outcome.crmWrite = { keys, facts, ...(close ? { close } : {}) };
  outcome.referralId = referralId;
  outcome.link = {
    crmId,
    referralId,
    base: next,
    referralSnapshot: referral ? referralToDealFields(referral) : (work.link?.referralSnapshot ?? null),
    referralEtag: facts?.eTag ?? work.link?.referralEtag ?? null,
    crmVersion: work.crmRecord?.version ?? work.link?.crmVersion ?? null,
    state: p.blocked.length ? 'blocked' : outcome.problems.length || p.conflicts.length ? 'error' : 'ok',
    message: work.link?.message ?? null,
    written: work.link?.written ?? {},
    crmEcho: p.echo,
    direction: referral?.direction ?? work.link?.direction ?? 'Outgoing',
  };
  return outcome;
}

/** The rep's line; `label` names a deal field on the CRM's terms (`value` → `Amount`). */
export function statusOf(p: Pick<Plan, 'blocked' | 'conflicts' | 'note'>, problems: Issue[], label: (key: string) => string = (k) => k): { ok: StatusMark; reason: string } {
  if (problems.length) return { ok: false, reason: issueText(problems) };
  if (p.note) return { ok: 'note', reason: p.note };
  if (p.blocked.length) return { ok: false, reason: `blocked: ${p.blocked.map((b) => `${b.reason} (${b.keys.map(label).join(', ')})`).join('; ')}` };
  if (p.conflicts.length) {
    return {
      ok: false,
      // The deal field's own name too: it is what `cosell-sync conflicts` lists.
      reason: `conflict on ${p.conflicts.map((c) => (label(c.key) === c.key ? c.key : `${c.key} (${label(c.key)})`)).join(', ')}: changed on both sides; resolve with cosell-sync conflicts`,
    };
  }
  return { ok: true, reason: 'synced' };
}
