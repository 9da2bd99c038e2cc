/**
 * Notifications to the rep inside the CRM (issue 17): a task on the opportunity for each co-sell event the
 * mapping's `notify:` section lists. Each event has a stable key carried by its task; keys already on a task
 * are looked up before anything is created, so an event gives exactly one task across crashes and re-runs.
 * Events are derived from state (what the record shows now), never from a diff that a crash could lose.
 */
import type { CrmConnector } from '../../connectors/index.js';
import { renderNotifyTemplate, type NotifyEvent, type NotifySection, type NotifyValues } from '../mapping/index.js';
import { describeError, type Logger } from '../runtime/index.js';
import type { Referral } from '../domain/index.js';
import type { ReferralWithEtag } from './ports.js';

export interface Notification {
  event: NotifyEvent;
  /** Stable per event: the same event seen again (next cycle, after a crash) has the same key. */
  key: string;
  crmId: string;
  values: NotifyValues;
}

export interface NotifyDeps {
  connection: string;
  crm: CrmConnector;
  spec: NotifySection;
  log: Logger;
}

export interface NotifyCounts {
  created: number;
  existing: number;
  issues: number;
}

/**
 * Create the task of every notification the mapping asks for and no task carries yet; `fill` completes the
 * template values of those about to be created (only they are worth a read).
 */
export async function notifyRep(deps: NotifyDeps, notes: Notification[], fill: (n: Notification[]) => Promise<Notification[]> = async (n) => n): Promise<NotifyCounts> {
  const counts: NotifyCounts = { created: 0, existing: 0, issues: 0 };
  const wanted = notes.filter((n) => deps.spec[n.event]);
  if (!wanted.length) return counts;
  const { crm, log } = deps;
  if (!crm.findTaskKeys || !crm.createTasks) throw new Error(`${crm.kind} connector cannot create tasks: notifications are not available`);
  const unique = [...new Map(wanted.map((n) => [n.key, n])).values()];
  const existing = new Set(await crm.findTaskKeys(unique.map((n) => n.key)));
  const missing = unique.filter((n) => !existing.has(n.key));
  counts.existing = unique.length - missing.length;
  if (!missing.length) return counts;
  const filled = await fill(missing);
  const results = await crm.createTasks(
    filled.map((n) => {
      const t = deps.spec[n.event]!;
      return { key: n.key, opportunityId: n.crmId, subject: renderNotifyTemplate(t.subject, n.values), description: renderNotifyTemplate(t.description, n.values) };
    }),
  );
  results.forEach((r, i) => {
    const n = missing[i]!;
    if (r.ok) {
      counts.created++;
      log.info('rep notified', { connection: deps.connection, event: n.event, key: n.key, crmId: n.crmId });
    } else {
      counts.issues++;
      log.warn('notification task not created', { connection: deps.connection, event: n.event, key: n.key, crmId: n.crmId, code: r.code, error: r.message });
    }
  });
  return counts;
}

export interface ReferralEventSources {
  crm: CrmConnector;
  referrals: { read(id: string): Promise<ReferralWithEtag | null>; linkFor(id: string): string | null };
  /** Write-back fields of the mapping: where the referral id, status and substatus are on the record. */
  referralIdField: string;
  statusField?: string;
  substatusField?: string;
  log: Logger;
}

/**
 * Inbound referrals waiting for an answer (status New on the record) and referrals that expired. Declines of
 * the partner's own inbound referrals are the rep's doing and are not reported.
 */
export async function referralNotifications(src: ReferralEventSources, events: readonly NotifyEvent[]): Promise<Notification[]> {
  const queries: { event: NotifyEvent; field: string | undefined; value: string }[] = [
    { event: 'inbound', field: src.statusField, value: 'New' },
    { event: 'expired', field: src.substatusField, value: 'Expired' },
  ];
  // The queries are independent: sent at once, their results kept in the order above.
  const found = await Promise.all(
    queries.map(async (q) => (events.includes(q.event) && q.field ? { q, records: await src.crm.findBy(q.field, [q.value], [src.referralIdField]) } : null)),
  );
  const out: Notification[] = [];
  for (const { q, records } of found.flatMap((f) => (f ? [f] : []))) {
    for (const r of records) {
      const referralId = r.fields[src.referralIdField];
      if (r.deleted || typeof referralId !== 'string' || !referralId) continue;
      out.push({ event: q.event, key: `${q.event}:${referralId}`, crmId: r.id, values: { referralId, link: src.referrals.linkFor(referralId) } });
    }
  }
  return out;
}

export interface InvitationSources {
  crm: CrmConnector;
  referrals: { related(engagementId: string): Promise<Referral[]>; linkFor(id: string): string | null };
  /** The CRM field asking Microsoft for help, and the values that mean "help requested". */
  helpField: string;
  helpValues: string[];
  referralIdField: string;
  engagementIdField: string;
  /** Filled once Microsoft accepted: those deals are no longer waiting. */
  microsoftCrmIdField?: string;
}

/**
 * The partner's co-sell invitations that Microsoft declined or let expire (the sender is told, cosell-rules
 * §7). Candidates are the deals that asked Microsoft for help and have no Microsoft CRM id yet; their
 * related referrals say how the invitation ended. One call per waiting deal per run.
 */
export async function invitationNotifications(src: InvitationSources, events: readonly NotifyEvent[]): Promise<Notification[]> {
  if (!events.includes('declined') && !events.includes('expired')) return [];
  const fields = [src.referralIdField, src.engagementIdField, ...(src.microsoftCrmIdField ? [src.microsoftCrmIdField] : [])];
  const waiting = (await src.crm.findBy(src.helpField, src.helpValues, fields)).filter(
    (r) => !r.deleted && r.fields[src.engagementIdField] && r.fields[src.referralIdField] && !(src.microsoftCrmIdField && r.fields[src.microsoftCrmIdField]),
  );
  const out: Notification[] = [];
  for (const r of waiting) {
    const own = String(r.fields[src.referralIdField]);
    for (const inv of await src.referrals.related(String(r.fields[src.engagementIdField]))) {
      const event: NotifyEvent | null = inv.substatus === 'Declined' ? 'declined' : inv.substatus === 'Expired' ? 'expired' : null;
      if (inv.id === own || !event || !events.includes(event)) continue;
      out.push({
        event,
        key: `${event}:${inv.id}`,
        crmId: r.id,
        values: { referralId: own, link: src.referrals.linkFor(own), reason: inv.statusReason ?? null, status: inv.substatus ?? null },
      });
    }
  }
  return out;
}

/** Fill in what the templates show from the referral (only for notifications about to become tasks). */
export async function withReferralValues(src: Pick<ReferralEventSources, 'referrals' | 'log'>, notes: Notification[]): Promise<Notification[]> {
  return Promise.all(
    notes.map(async (n) => {
      if (!n.values.referralId) return n;
      try {
        const r = (await src.referrals.read(n.values.referralId))?.referral;
        if (!r) return n;
        return { ...n, values: { name: r.name ?? null, customer: r.customerProfile?.name ?? null, reason: r.statusReason ?? null, status: r.substatus ?? r.status, ...n.values } };
      } catch (err) {
        src.log.warn('referral not read for a notification', { key: n.key, error: describeError(err) });
        return n;
      }
    }),
  );
}
