/** Who can be invited to a deal, and what the deal becomes (the seed's "combinations" table, cosell-rules §2). */
import type { DealType } from './deal-type.js';

export type Invitee = 'microsoft' | 'partner' | 'microsoft-visibility';

export interface InvitationContext {
  type: DealType;
  /** Outgoing = your company started the deal; Incoming = it was sent to you. */
  direction: 'Incoming' | 'Outgoing';
  terminal: boolean;
  microsoftInvited?: boolean;
}

export type InvitationVerdict = { ok: true; becomes: DealType } | { ok: false; reason: string };

/** One row per combination in the seed's table; anything not listed is refused. */
export const COMBINATIONS: readonly { from: DealType; invitee: Invitee; becomes: DealType; note: string }[] = [
  { from: 'private', invitee: 'microsoft', becomes: 'co-sell', note: 'Private + Microsoft → Co-sell' },
  { from: 'private', invitee: 'partner', becomes: 'p2p', note: 'Private + other partners → P2P' },
  { from: 'private', invitee: 'microsoft-visibility', becomes: 'partner-led', note: 'Private + visibility → Partner-led' },
  { from: 'partner-led', invitee: 'microsoft', becomes: 'co-sell', note: 'Partner-led + Microsoft → Co-sell' },
  { from: 'partner-led', invitee: 'partner', becomes: 'p2p', note: 'Partner-led + other partners → P2P' },
  { from: 'co-sell', invitee: 'partner', becomes: 'co-sell', note: 'Co-sell + other partners, only on deals you started' },
  { from: 'p2p', invitee: 'microsoft', becomes: 'co-sell', note: 'P2P without Microsoft + Microsoft → Co-sell' },
  { from: 'p2p', invitee: 'partner', becomes: 'p2p', note: 'P2P without Microsoft + other partners → stays P2P' },
];

export function canInvite(ctx: InvitationContext, invitee: Invitee): InvitationVerdict {
  if (ctx.terminal) return { ok: false, reason: 'the deal is in a terminal state (Won, Lost, Declined or Expired): nobody can be invited' };
  if (invitee === 'partner' && ctx.direction === 'Incoming') {
    return { ok: false, reason: 'other partners can only be invited to deals your company started, not to inbound deals' };
  }
  if (invitee === 'microsoft' && (ctx.microsoftInvited || ctx.type === 'co-sell')) {
    return { ok: false, reason: 'Microsoft is already part of this co-sell deal' };
  }
  if (invitee === 'microsoft-visibility' && ctx.type !== 'private') {
    return { ok: false, reason: 'Microsoft sellers can already see this deal' };
  }
  const row = COMBINATIONS.find((c) => c.from === ctx.type && c.invitee === invitee);
  if (!row) return { ok: false, reason: `a ${ctx.type} deal cannot invite ${invitee === 'partner' ? 'other partners' : 'Microsoft'}` };
  return { ok: true, becomes: row.becomes };
}
