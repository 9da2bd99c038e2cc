/**
 * `canUpdate`: the single answer to "may this referral change like this?", with the reasons why not.
 * Used by the referral store to reject a request and by the sync engine to block a change before sending it.
 */
import { checkTransition, isTerminal } from './lifecycle.js';
import type { Referral } from './referral.js';
import { fieldIssues, isSolutionAssessment, type Issue } from './validation.js';

export type UpdateCode = 'terminalState' | 'invalidTransition' | 'immutableField' | 'stagesIncomplete' | 'invalidValue';

export type UpdateVerdict = { ok: true } | { ok: false; code: UpdateCode; issues: Issue[] };

export interface UpdateContext {
  /**
   * `owner`: the organization whose referral it is, editing its own deal (outbound, or inbound after accepting);
   * `inviter`: the organization that sent a P2P invitation, editing that invitation after creation.
   */
  actor?: 'owner' | 'inviter';
}

/** Fields fixed at creation for everybody. Location is the customer's country (decision: see README). */
const IMMUTABLE = ['id', 'engagementId', 'createdDateTime', 'direction', 'organizationId', 'customerProfile.address.country'];
/** What the inviter may no longer change on a P2P invitation once created (the invitee may). */
const INVITER_LOCKED = ['details.closingDateTime', 'details.dealValue', 'details.currency', 'team'];
/** What the receiver of an inbound referral may edit (seed: accept/edit screens; solutions after accepting). */
export const INBOUND_EDITABLE = [
  'name',
  'externalReferenceId',
  'status',
  'substatus',
  'statusReason',
  'salesStage',
  'stageHistory',
  'favorite',
  'team',
  'details.dealValue',
  'details.currency',
  'details.closingDateTime',
  'details.notes',
  'details.campaignId',
  'details.requirements.solutions',
  'updatedDateTime',
  'acceptedDateTime',
  'closedDateTime',
  'eTag',
  'trackingInfo',
];
/** Bookkeeping the store itself maintains; never counted as a client's change. */
const SERVER_OWNED = ['updatedDateTime', 'eTag', 'acceptedDateTime', 'closedDateTime', 'stageHistory', 'links', 'dealType'];

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Dotted paths whose leaf values differ (arrays compared whole; a missing object counts as empty). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const objectish = (v: unknown) => isObj(v) || v == null;
  if ((isObj(a) || isObj(b)) && objectish(a) && objectish(b)) {
    const A = isObj(a) ? a : {};
    const B = isObj(b) ? b : {};
    const keys = new Set([...Object.keys(A), ...Object.keys(B)]);
    return [...keys].flatMap((k) => changedPaths(A[k], B[k], prefix ? `${prefix}.${k}` : k));
  }
  const norm = (v: unknown) => (v === undefined ? null : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b)) ? [] : [prefix];
}

const under = (path: string, roots: readonly string[]) => roots.some((r) => path === r || path.startsWith(`${r}.`));

export function canUpdate(before: Referral, after: Referral, ctx: UpdateContext = {}): UpdateVerdict {
  const changed = changedPaths(before, after).filter((p) => !under(p, SERVER_OWNED));
  if (isTerminal(before)) {
    return {
      ok: false,
      code: 'terminalState',
      issues: [{ path: changed[0] ?? 'status', message: `the referral is ${before.substatus ?? 'Closed'}: a terminal referral accepts no further update of any kind` }],
    };
  }
  if (changed.length === 0) return { ok: true };

  const transition = checkTransition({ status: before.status, substatus: before.substatus ?? null }, { status: after.status, substatus: after.substatus ?? null });
  if (!transition.ok) return { ok: false, code: transition.code, issues: [{ path: 'status', message: transition.reason }] };

  const immutable: Issue[] = [];
  for (const p of changed) {
    if (under(p, IMMUTABLE)) immutable.push({ path: p, message: `${p} cannot be changed after the referral is created` });
    else if (ctx.actor === 'inviter' && under(p, INVITER_LOCKED)) {
      immutable.push({ path: p, message: `${p} of a partner invitation can only be changed by the invited partner` });
    } else if (before.direction === 'Incoming' && !under(p, INBOUND_EDITABLE)) {
      immutable.push({ path: p, message: `${p} of an inbound referral is set by its sender` });
    }
  }
  // Whatever the spelling (false, null, a removed member, a replaced or missing consent object): only `true` keeps it.
  if (before.type === 'Shared' && after.type !== 'Shared') {
    immutable.push({ path: 'type', message: 'a shared (co-sell) referral cannot be made independent again' });
  } else if (before.type != null && after.type == null) {
    immutable.push({ path: 'type', message: 'type cannot be removed (Independent or Shared)' });
  }
  if (before.consent?.consentToShareReferralWithMicrosoftSellers === true && after.consent?.consentToShareReferralWithMicrosoftSellers !== true) {
    immutable.push({ path: 'consent.consentToShareReferralWithMicrosoftSellers', message: 'visibility to Microsoft sellers, once granted, cannot be revoked' });
  }
  if (before.direction === 'Incoming' && before.status === 'New' && under('details.requirements.solutions', changed) && after.status === 'New') {
    immutable.push({ path: 'details.requirements.solutions', message: 'solutions of an inbound referral can be changed once it is accepted' });
  }
  if (immutable.length) return { ok: false, code: 'immutableField', issues: immutable };

  if (after.substatus === 'Won' && before.substatus !== 'Won' && after.salesStage !== 'Close') {
    const sa = (after.details?.requirements?.solutions ?? []).some(isSolutionAssessment);
    return {
      ok: false,
      code: 'stagesIncomplete',
      issues: [
        {
          path: 'salesStage',
          message: sa
            ? 'a solution assessment can only be Won after every sales stage is marked complete'
            : 'Won is only possible after all earlier stages (Qualify, Develop, Propose, Close) are complete',
        },
      ],
    };
  }
  if ((after.substatus === 'Lost' || after.substatus === 'Declined') && !after.statusReason?.trim()) {
    return { ok: false, code: 'invalidValue', issues: [{ path: 'statusReason', message: `a ${after.substatus} referral needs a reason (statusReason)` }] };
  }
  const invalid = fieldIssues(after as never);
  if (invalid.length) return { ok: false, code: 'invalidValue', issues: invalid };
  return { ok: true };
}
