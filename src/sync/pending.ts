/**
 * Pending creates: before a page sends a create, its key is committed, so a crash after the POST is healed by a
 * lookup instead of a second create. The keys decode as record keys (`state/record-key.ts`).
 */
import type { RecordWork } from './record.js';

export const pendingReferralKey = (crmId: string) => `create-referral:${crmId}`;
export const pendingCrmKey = (referralId: string) => `create-crm:${referralId}`;

/** The creates a page may send: a referral for each unlinked live CRM record, an opportunity for each unlinked referral. */
export function pendingCreatesOf(works: readonly RecordWork[]): string[] {
  const referrals = works.filter((w) => !w.link && w.crmRecord && !w.crmRecord.deleted).map((w) => pendingReferralKey(w.crmRecord!.id));
  const opportunities = works.filter((w) => !w.link && !w.crmRecord && w.referral).map((w) => pendingCrmKey(w.referral!.referral.id));
  return [...referrals, ...opportunities];
}
