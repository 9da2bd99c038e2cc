/** SQL for webhook registrations, the delivery queue and delivery attempts (no rules here). */
import type Database from 'better-sqlite3';

export interface Subscription {
  orgId: string;
  subscriberId: string;
  url: string;
  events: string[];
  toMsSignatureHeader: boolean;
  lastEventId: number;
  updated: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'parked';

export interface Delivery {
  id: number;
  orgId: string;
  stream: string;
  correlationId: string | null;
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  created: string;
  lastError: string | null;
}

/** A delivery due now, with where and how its organization wants it. */
export interface DueDelivery extends Delivery {
  url: string;
  toMsSignatureHeader: boolean;
}

export interface Attempt {
  at: string;
  responseCode: string;
  message: string;
}

const DELIVERY_COLS = `d.id, d.org_id AS orgId, d.stream, d.correlation_id AS correlationId, d.payload, d.state, d.attempts,
  d.next_at AS nextAt, d.created, d.last_error AS lastError`;

interface SubscriptionRow {
  org_id: string;
  subscriber_id: string;
  url: string;
  events: string;
  ms_signature_header: number;
  last_event_id: number;
  updated: string;
}

export class WebhookRepository {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      subscription: db.prepare('SELECT * FROM webhook_registrations WHERE org_id = ?'),
      subscriptions: db.prepare('SELECT * FROM webhook_registrations ORDER BY org_id'),
      upsert: db.prepare(`INSERT INTO webhook_registrations (org_id, subscriber_id, url, events, ms_signature_header, last_event_id, updated)
        VALUES (@orgId, @subscriberId, @url, @events, @ms, @lastEventId, @updated)
        ON CONFLICT(org_id) DO UPDATE SET url = excluded.url, events = excluded.events, ms_signature_header = excluded.ms_signature_header, updated = excluded.updated`),
      remove: db.prepare('DELETE FROM webhook_registrations WHERE org_id = ?'),
      advance: db.prepare('UPDATE webhook_registrations SET last_event_id = ? WHERE org_id = ?'),
      maxEvent: db.prepare('SELECT coalesce(max(id), 0) AS m FROM events'),
      enqueue: db.prepare(`INSERT INTO webhook_deliveries (org_id, stream, correlation_id, payload, state, attempts, next_at, created)
        VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`),
      // The oldest pending delivery of each stream, if due: later events of a referral wait for earlier ones.
      due: db.prepare(`SELECT ${DELIVERY_COLS}, r.url, r.ms_signature_header AS ms FROM webhook_deliveries d
        JOIN webhook_registrations r ON r.org_id = d.org_id
        WHERE d.state = 'pending' AND d.next_at <= ?
          AND d.id = (SELECT min(x.id) FROM webhook_deliveries x WHERE x.state = 'pending' AND x.org_id = d.org_id AND x.stream = d.stream)
        ORDER BY d.id LIMIT ?`),
      requeue: db.prepare("UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?, last_error = NULL WHERE id = ? AND state = 'parked'"),
      finish: db.prepare('UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?'),
      attempt: db.prepare('INSERT INTO webhook_attempts (delivery_id, at, response_code, message) VALUES (?, ?, ?, ?)'),
      attempts: db.prepare('SELECT at, response_code AS responseCode, message FROM webhook_attempts WHERE delivery_id = ? ORDER BY rowid'),
      get: db.prepare(`SELECT ${DELIVERY_COLS} FROM webhook_deliveries d WHERE d.id = ?`),
      byCorrelation: db.prepare(`SELECT ${DELIVERY_COLS} FROM webhook_deliveries d WHERE d.correlation_id = ? ORDER BY d.id`),
      byState: db.prepare(`SELECT ${DELIVERY_COLS} FROM webhook_deliveries d WHERE d.state = ? AND d.id > ? ORDER BY d.id LIMIT ?`),
      byStateOrg: db.prepare(`SELECT ${DELIVERY_COLS} FROM webhook_deliveries d WHERE d.state = ? AND d.org_id = ? AND d.id > ? ORDER BY d.id LIMIT ?`),
    };
  }

  subscription(orgId: string): Subscription | undefined {
    const r = this.stmts.subscription.get(orgId) as SubscriptionRow | undefined;
    return r && toSubscription(r);
  }
  subscriptions(): Subscription[] {
    return (this.stmts.subscriptions.all() as SubscriptionRow[]).map(toSubscription);
  }
  /** The newest outbox row's id. */
  lastEventId(): number {
    return (this.stmts.maxEvent.get() as { m: number }).m;
  }
  /** Create or replace; a new registration only receives events from now on. */
  save(s: Omit<Subscription, 'lastEventId'>): void {
    const lastEventId = this.lastEventId();
    this.stmts.upsert.run({
      orgId: s.orgId,
      subscriberId: s.subscriberId,
      url: s.url,
      events: JSON.stringify(s.events),
      ms: s.toMsSignatureHeader ? 1 : 0,
      lastEventId,
      updated: s.updated,
    });
  }
  remove(orgId: string): boolean {
    return this.stmts.remove.run(orgId).changes > 0;
  }
  advance(orgId: string, lastEventId: number): void {
    this.stmts.advance.run(lastEventId, orgId);
  }
  enqueue(orgId: string, stream: string, correlationId: string | null, payload: string, nextAt: number, created: string): number {
    return Number(this.stmts.enqueue.run(orgId, stream, correlationId, payload, nextAt, created).lastInsertRowid);
  }
  due(nowMs: number, limit: number): DueDelivery[] {
    return (this.stmts.due.all(nowMs, limit) as (Delivery & { url: string; ms: number })[]).map(({ ms, ...d }) => ({ ...d, toMsSignatureHeader: ms === 1 }));
  }
  finish(id: number, state: DeliveryState, attempts: number, nextAt: number, lastError: string | null): void {
    this.stmts.finish.run(state, attempts, nextAt, lastError, id);
  }
  /** A parked delivery back in the queue with a fresh set of attempts; false when it is not parked. */
  requeue(id: number, nowMs: number): boolean {
    return this.stmts.requeue.run(nowMs, id).changes > 0;
  }
  recordAttempt(id: number, at: string, responseCode: string, message: string): void {
    this.stmts.attempt.run(id, at, responseCode, message);
  }
  attempts(id: number): Attempt[] {
    return this.stmts.attempts.all(id) as Attempt[];
  }
  get(id: number): Delivery | undefined {
    return this.stmts.get.get(id) as Delivery | undefined;
  }
  byCorrelation(correlationId: string): Delivery[] {
    return this.stmts.byCorrelation.all(correlationId) as Delivery[];
  }
  byState(state: DeliveryState, after: number, limit: number, orgId?: string): Delivery[] {
    return (orgId ? this.stmts.byStateOrg.all(state, orgId, after, limit) : this.stmts.byState.all(state, after, limit)) as Delivery[];
  }
}

function toSubscription(r: SubscriptionRow): Subscription {
  return {
    orgId: r.org_id,
    subscriberId: r.subscriber_id,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    toMsSignatureHeader: r.ms_signature_header === 1,
    lastEventId: r.last_event_id,
    updated: r.updated,
  };
}
