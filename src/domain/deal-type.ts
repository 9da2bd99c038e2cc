/** Deal types (cosell-rules §1), derived — never chosen — from help type, visibility and invited parties. */
import type { HelpType } from './referral.js';

export const DEAL_TYPES = ['private', 'partner-led', 'co-sell', 'p2p', 'solution-assessment'] as const;
export type DealType = (typeof DEAL_TYPES)[number];

export interface DealTypeInput {
  /** "How can Microsoft help?" — null or 'None' means no help needed. */
  helpType: HelpType | 'None' | null | undefined;
  /** "Do you want Microsoft sellers to see this deal?" */
  visibleToMicrosoft: boolean;
  /** Microsoft has been invited (a related referral targets `msft`). */
  microsoftInvited?: boolean;
  /** Other partners invited into the engagement. */
  partnersInvited?: number;
  /** The deal carries a solution-assessment solution. */
  solutionAssessment?: boolean;
  /** Inbound referral sent by Microsoft (co-sell by origin) or by a partner (P2P by origin). */
  inboundFrom?: 'microsoft' | 'partner' | null;
}

export function deriveDealType(d: DealTypeInput): DealType {
  if (d.solutionAssessment) return 'solution-assessment';
  if (d.inboundFrom === 'microsoft') return 'co-sell';
  const helpRequested = d.helpType != null && d.helpType !== 'None';
  if (helpRequested || d.microsoftInvited) return 'co-sell';
  if ((d.partnersInvited ?? 0) > 0 || d.inboundFrom === 'partner') return 'p2p';
  if (d.visibleToMicrosoft) return 'partner-led';
  return 'private';
}

/** Microsoft sellers can see the deal's details. */
export function visibleToMicrosoftSellers(type: DealType, visibleFlag: boolean): boolean {
  return type === 'co-sell' || type === 'partner-led' || visibleFlag;
}
