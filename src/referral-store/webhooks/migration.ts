/** Store schema for Partner Center-shaped webhooks (issue 17): registrations, the delivery queue, attempts. */
import type { Migration } from '../migrations.js';

export const WEBHOOK_MIGRATION: Migration = {
  version: 1702,
  name: 'webhooks: registrations, deliveries, attempts',
  sql: `
    -- One registration per organization, as in Partner Center. last_event_id: outbox rows up to it are queued.
    CREATE TABLE webhook_registrations (
      org_id TEXT PRIMARY KEY,
      subscriber_id TEXT NOT NULL,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      ms_signature_header INTEGER NOT NULL,
      last_event_id INTEGER NOT NULL,
      updated TEXT NOT NULL
    );
    -- stream orders deliveries: one referral's events (or one validation event) go out one at a time, in id order.
    CREATE TABLE webhook_deliveries (
      id INTEGER PRIMARY KEY,
      org_id TEXT NOT NULL,
      stream TEXT NOT NULL,
      correlation_id TEXT,
      payload TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      created TEXT NOT NULL,
      last_error TEXT
    );
    CREATE INDEX webhook_pending ON webhook_deliveries(org_id, stream, id) WHERE state = 'pending';
    CREATE INDEX webhook_by_state ON webhook_deliveries(state, id);
    CREATE INDEX webhook_by_correlation ON webhook_deliveries(correlation_id) WHERE correlation_id IS NOT NULL;
    CREATE TABLE webhook_attempts (
      delivery_id INTEGER NOT NULL,
      at TEXT NOT NULL,
      response_code TEXT NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);
  `,
};
