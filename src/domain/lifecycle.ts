/** Referral status model (cosell-rules.md §4): statuses, substatuses, allowed moves and terminal states. */

export const STATUSES = ['New', 'Active', 'Closed'] as const;
export type Status = (typeof STATUSES)[number];

export const SUBSTATUSES = ['Pending', 'Received', 'Accepted', 'Won', 'Lost', 'Declined', 'Expired'] as const;
export type Substatus = (typeof SUBSTATUSES)[number];

export const TERMINAL_SUBSTATUSES = ['Won', 'Lost', 'Declined', 'Expired'] as const satisfies readonly Substatus[];
export type TerminalSubstatus = (typeof TERMINAL_SUBSTATUSES)[number];

/** status → the statuses it may move to, and the substatuses allowed with it. */
export const STATUS_TABLE: Record<Status, { next: readonly Status[]; substatus: readonly Substatus[] }> = {
  New: { next: ['New', 'Active', 'Closed'], substatus: ['Pending', 'Received'] },
  Active: { next: ['Active', 'Closed'], substatus: ['Accepted'] },
  Closed: { next: ['Closed'], substatus: ['Won', 'Lost', 'Declined', 'Expired'] },
};

export interface StatusPair {
  status: Status;
  substatus?: Substatus | null;
}

export function isTerminal(r: { status: Status; substatus?: Substatus | null }): boolean {
  return r.status === 'Closed';
}

export function isTerminalSubstatus(s: string | null | undefined): s is TerminalSubstatus {
  return (TERMINAL_SUBSTATUSES as readonly string[]).includes(s ?? '');
}

export function substatusAllowed(status: Status, substatus: Substatus | null | undefined): boolean {
  return substatus == null || STATUS_TABLE[status].substatus.includes(substatus);
}

export type TransitionVerdict = { ok: true } | { ok: false; code: 'terminalState' | 'invalidTransition'; reason: string };

/**
 * May a referral move from `from` to `to`? Closed is terminal: nothing moves out of it, and a closed referral
 * cannot change its substatus either (a Won deal cannot become Lost).
 */
export function checkTransition(from: StatusPair, to: StatusPair): TransitionVerdict {
  if (isTerminal(from)) {
    const same = to.status === from.status && (to.substatus ?? from.substatus) === from.substatus;
    if (!same) {
      return { ok: false, code: 'terminalState', reason: `the referral is ${from.substatus ?? from.status}, a terminal state: no further update of any kind` };
    }
    return { ok: true };
  }
  if (!STATUS_TABLE[from.status].next.includes(to.status)) {
    return { ok: false, code: 'invalidTransition', reason: `status cannot move from ${from.status} to ${to.status}` };
  }
  if (!substatusAllowed(to.status, to.substatus)) {
    return {
      ok: false,
      code: 'invalidTransition',
      reason: `substatus ${to.substatus} is not allowed with status ${to.status} (allowed: ${STATUS_TABLE[to.status].substatus.join(', ')})`,
    };
  }
  // An accepted deal does not go back to waiting for an answer.
  if (from.status === 'New' && to.status === 'New' && from.substatus === 'Received' && to.substatus === 'Pending') {
    return { ok: false, code: 'invalidTransition', reason: 'a received referral cannot return to Pending' };
  }
  return { ok: true };
}
