/**
 * The event outbox: one row per (event, organization whose webhook would receive it), shaped like Partner
 * Center's webhook payload plus who should be told (cosell-rules §7: the sender on decline and expiry; the
 * referral admins and the deal team on a new inbound referral).
 */
import type { Referral } from '../domain/index.js';
import type { EventRecord, Repository } from './repository.js';

export type EventName = 'referral-created' | 'referral-updated' | 'related-referral-created' | 'related-referral-updated';

export type Recipient = { role: 'organization' | 'sender' | 'referral-admins'; organizationId: string } | { role: 'deal-team'; organizationId: string; emails: string[] };

export const toOrg = (organizationId: string): Recipient => ({ role: 'organization', organizationId });
export const toSender = (organizationId: string): Recipient => ({ role: 'sender', organizationId });

/** A new inbound referral: the organization's referral admins and the deal team on it. */
export function newInboundRecipients(orgId: string, r: Referral): Recipient[] {
  const emails = (r.team ?? []).map((m) => m.email).filter((e): e is string => !!e);
  return [{ role: 'referral-admins', organizationId: orgId }, ...(emails.length ? [{ role: 'deal-team' as const, organizationId: orgId, emails }] : [])];
}

export function emit(repo: Repository, name: EventName, referral: Referral, orgId: string, at: string, recipients: Recipient[]): void {
  repo.addEvent(name, referral.id, orgId, at, recipients);
}

/** Exactly Partner Center's webhook body for an outbox row (what the store's webhooks send). */
export function webhookPayload(e: Pick<EventRecord, 'name' | 'referralId' | 'created'>, base: string) {
  const uri = `${base}/referrals/${encodeURIComponent(e.referralId)}`;
  return { EventName: e.name, ResourceUri: uri, ResourceName: 'referral', AuditUri: `${uri}/audit`, ResourceChangeUtcDate: e.created };
}

/** The admin view of an outbox row: the webhook body plus its id and who should be told. */
export function eventPayload(e: EventRecord, base: string) {
  return { id: e.id, ...webhookPayload(e, base), organizationId: e.orgId, recipients: e.recipients };
}
