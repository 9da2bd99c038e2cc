/**
 * Numbered schema migrations. Applied in order inside one transaction each and recorded in `migrations`, so a
 * store file created by an older version upgrades in place. Append new ones; never edit an applied one.
 */
import type Database from 'better-sqlite3';
import { REGISTRATION_MIGRATION } from './registration/migration.js';
import { WEBHOOK_MIGRATION } from './webhooks/migration.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'organizations, keys, referrals, events, meta',
    sql: `
      CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        sa_vetted INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL
      );
      CREATE TABLE api_keys (
        hash TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES organizations(id),
        source TEXT NOT NULL,
        created TEXT NOT NULL
      );
      -- Indexes serve the hot paths only (list by created/updated, related referrals, idempotency lookups,
      -- open referrals for expiry): each extra index costs every write.
      -- One row per organization's referral. Invitations (to Microsoft or another partner) are rows owned by
      -- the invited organization, with inviter_org_id and source_id pointing back at the inviting referral.
      CREATE TABLE referrals (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        engagement_id TEXT NOT NULL,
        inviter_org_id TEXT,
        source_id TEXT,
        direction TEXT NOT NULL,
        status TEXT NOT NULL,
        substatus TEXT,
        favorite INTEGER NOT NULL DEFAULT 0,
        name TEXT,
        external_reference_id TEXT,
        deal_type TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        expires TEXT,
        etag TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX referrals_org_created ON referrals(org_id, created, id);
      CREATE INDEX referrals_org_updated ON referrals(org_id, updated, id);
      CREATE INDEX referrals_engagement ON referrals(engagement_id);
      CREATE INDEX referrals_org_external ON referrals(org_id, external_reference_id) WHERE external_reference_id IS NOT NULL;
      CREATE INDEX referrals_open ON referrals(status, expires) WHERE status = 'New';
      -- Rowids of a table nothing is deleted from only grow, so the outbox needs no AUTOINCREMENT (an extra
      -- page write per event).
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        referral_id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        created TEXT NOT NULL,
        recipients TEXT NOT NULL
      );
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  REGISTRATION_MIGRATION,
  WEBHOOK_MIGRATION,
];

export function migrate(db: Database.Database): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, name, applied) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
