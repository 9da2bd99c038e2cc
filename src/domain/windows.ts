/** The 14-day windows (cosell-rules §1 and §4): answering an inbound referral, and Microsoft sellers' decision. */

export const RESPONSE_WINDOW_DAYS = 14;
const DAY_MS = 86_400_000;

/** When an inbound referral received at `receivedAt` expires if nobody answers. */
export function responseDeadline(receivedAt: Date | string): Date {
  return new Date(new Date(receivedAt).getTime() + RESPONSE_WINDOW_DAYS * DAY_MS);
}

/** An unanswered (New) referral past its deadline is Expired. */
export function isExpired(r: { status: string; createdDateTime?: string | null; expirationDateTime?: string | null }, now: Date): boolean {
  if (r.status !== 'New') return false;
  const deadline = r.expirationDateTime ? new Date(r.expirationDateTime) : r.createdDateTime ? responseDeadline(r.createdDateTime) : null;
  return deadline !== null && now.getTime() >= deadline.getTime();
}

/** Microsoft sellers decide on a co-sell invitation within the same window. */
export function microsoftDecisionDeadline(invitedAt: Date | string): Date {
  return responseDeadline(invitedAt);
}

export function daysLeft(deadline: Date, now: Date): number {
  return Math.max(0, Math.ceil((deadline.getTime() - now.getTime()) / DAY_MS));
}
