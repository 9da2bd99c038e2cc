/**
 * All SQL of the store (no business rules here): organizations and their hashed API keys, referral rows with
 * their indexed columns derived from the JSON body, the event outbox and a small key/value meta table.
 */
import Database from 'better-sqlite3';
import type { Referral } from '../domain/index.js';
import { migrate } from './migrations.js';

/** A referral as the store keeps it: the resource plus who owns it and who invited it. */
export interface Stored {
  referral: Referral;
  orgId: string;
  /** The organization that sent this invitation (Microsoft or a partner); null for a partner's own deal. */
  inviterOrgId: string | null;
  /** The inviting organization's referral in the same engagement. */
  sourceId: string | null;
  etag: string;
}

interface Row {
  id: string;
  org_id: string;
  inviter_org_id: string | null;
  source_id: string | null;
  etag: string;
  body: string;
}

/** Who takes part in an engagement: enough to derive deal types and address events. */
export interface EngagementMember {
  id: string;
  orgId: string;
  inviterOrgId: string | null;
}

export const memberOf = (s: Stored): EngagementMember => ({ id: s.referral.id, orgId: s.orgId, inviterOrgId: s.inviterOrgId });

export interface RawRow {
  id: string;
  engagement_id: string;
  created: string;
  updated: string;
  name: string;
  etag: string;
  body: string;
}

export interface Organization {
  id: string;
  name: string;
  solutionAssessmentVetted: boolean;
}

export interface EventRecord {
  id: number;
  name: string;
  referralId: string;
  orgId: string;
  created: string;
  recipients: unknown[];
}

const fromRow = (r: Row): Stored => ({
  referral: JSON.parse(r.body) as Referral,
  orgId: r.org_id,
  inviterOrgId: r.inviter_org_id,
  sourceId: r.source_id,
  etag: r.etag,
});

function columns(s: Stored) {
  const r = s.referral;
  return {
    id: r.id,
    org_id: s.orgId,
    engagement_id: r.engagementId ?? r.id,
    inviter_org_id: s.inviterOrgId,
    source_id: s.sourceId,
    direction: r.direction ?? 'Outgoing',
    status: r.status,
    substatus: r.substatus ?? null,
    favorite: r.favorite ? 1 : 0,
    name: r.name ?? '',
    external_reference_id: r.externalReferenceId || null,
    deal_type: r.dealType ?? 'private',
    created: r.createdDateTime!,
    updated: r.updatedDateTime!,
    expires: r.status === 'New' ? (r.expirationDateTime ?? null) : null,
    etag: s.etag,
    body: JSON.stringify(r),
  };
}

const COLS = 'id, org_id, inviter_org_id, source_id, etag, body';

export class Repository {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint the WAL every ~40 MB instead of ~4 MB: each checkpoint syncs the file, and every write here
    // touches several pages (row, indexes, outbox), so the default checkpoints very often under load.
    this.db.pragma('wal_autocheckpoint = 10000');
    migrate(this.db);
    // Planner statistics: without them an equality lookup (externalReferenceId eq '…') may walk the
    // created-order index of a large organization instead of its own index. Sampled (bounded) analysis.
    this.db.pragma('analysis_limit = 1000');
    const db = this.db;
    this.tx = db.transaction((fn: () => unknown) => fn());
    this.stmts = {
      getOrg: db.prepare('SELECT id, name, sa_vetted FROM organizations WHERE id = ?'),
      listOrgs: db.prepare('SELECT id, name, sa_vetted FROM organizations ORDER BY created, id'),
      insertOrg: db.prepare('INSERT INTO organizations (id, name, sa_vetted, created) VALUES (?, ?, ?, ?)'),
      orgByKey: db.prepare('SELECT org_id FROM api_keys WHERE hash = ?'),
      insertKey: db.prepare('INSERT OR REPLACE INTO api_keys (hash, org_id, source, created) VALUES (?, ?, ?, ?)'),
      dropKeys: db.prepare('DELETE FROM api_keys WHERE org_id = ? AND source = ?'),
      get: db.prepare(`SELECT ${COLS} FROM referrals WHERE id = ?`),
      byExternal: db.prepare('SELECT id FROM referrals WHERE org_id = ? AND external_reference_id = ? LIMIT 1'),
      insert: db.prepare(`INSERT INTO referrals (id, org_id, engagement_id, inviter_org_id, source_id, direction, status, substatus, favorite,
        name, external_reference_id, deal_type, created, updated, expires, etag, body) VALUES (@id, @org_id, @engagement_id, @inviter_org_id,
        @source_id, @direction, @status, @substatus, @favorite, @name, @external_reference_id, @deal_type, @created, @updated, @expires, @etag, @body)`),
      update: db.prepare(`UPDATE referrals SET status = @status, substatus = @substatus, favorite = @favorite, name = @name,
        external_reference_id = @external_reference_id, deal_type = @deal_type, updated = @updated, expires = @expires, etag = @etag,
        body = @body, direction = @direction WHERE id = @id`),
      byEngagement: db.prepare(`SELECT ${COLS} FROM referrals WHERE engagement_id = ? ORDER BY created, id`),
      members: db.prepare('SELECT id, org_id AS orgId, inviter_org_id AS inviterOrgId FROM referrals WHERE engagement_id = ?'),
      dueExpiry: db.prepare(`SELECT ${COLS} FROM referrals WHERE status = 'New' AND expires IS NOT NULL AND expires <= ? ORDER BY expires`),
      openInvitations: db.prepare(`SELECT ${COLS} FROM referrals WHERE org_id = ? AND status = 'New' AND inviter_org_id IS NOT NULL AND created <= ? ORDER BY created, id`),
      insertEvent: db.prepare('INSERT INTO events (name, referral_id, org_id, created, recipients) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare('SELECT id, name, referral_id, org_id, created, recipients FROM events WHERE id > ? ORDER BY id LIMIT ?'),
      orgEvents: db.prepare('SELECT id, name, referral_id, org_id, created, recipients FROM events WHERE id > ? AND org_id = ? ORDER BY id LIMIT ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      maxStamp: db.prepare('SELECT max(updated) AS m FROM referrals'),
      count: db.prepare('SELECT count(*) AS n FROM referrals'),
    };
  }

  private readonly tx: (fn: () => unknown) => unknown;
  private readonly dynamic = new Map<string, Database.Statement>();

  transaction<T>(fn: () => T): T {
    return this.tx(fn) as T;
  }

  /** Statements built from a compiled `$filter`: the same shapes recur, so compile each once (bounded). */
  private prepared(sql: string): Database.Statement {
    let st = this.dynamic.get(sql);
    if (!st) {
      if (this.dynamic.size >= 500) this.dynamic.clear();
      st = this.db.prepare(sql);
      this.dynamic.set(sql, st);
    }
    return st;
  }

  getOrg(id: string): Organization | undefined {
    const r = this.stmts.getOrg.get(id) as { id: string; name: string; sa_vetted: number } | undefined;
    return r && { id: r.id, name: r.name, solutionAssessmentVetted: r.sa_vetted === 1 };
  }
  listOrgs(): Organization[] {
    return (this.stmts.listOrgs.all() as { id: string; name: string; sa_vetted: number }[]).map((r) => ({
      id: r.id,
      name: r.name,
      solutionAssessmentVetted: r.sa_vetted === 1,
    }));
  }
  insertOrg(o: Organization, created: string): void {
    this.stmts.insertOrg.run(o.id, o.name, o.solutionAssessmentVetted ? 1 : 0, created);
  }
  orgIdByKeyHash(hash: string): string | undefined {
    return (this.stmts.orgByKey.get(hash) as { org_id: string } | undefined)?.org_id;
  }
  /** `source` tells configured keys from generated ones, so a restart can replace its own generated key. */
  addKey(hash: string, orgId: string, source: string, created: string, replaceSameSource = false): void {
    if (replaceSameSource) this.stmts.dropKeys.run(orgId, source);
    this.stmts.insertKey.run(hash, orgId, source, created);
  }

  get(id: string): Stored | undefined {
    const r = this.stmts.get.get(id) as Row | undefined;
    return r && fromRow(r);
  }
  idByExternalReference(orgId: string, externalReferenceId: string): string | undefined {
    return (this.stmts.byExternal.get(orgId, externalReferenceId) as { id: string } | undefined)?.id;
  }
  insert(s: Stored): void {
    this.stmts.insert.run(columns(s));
  }
  update(s: Stored): void {
    this.stmts.update.run(columns(s));
  }
  byEngagement(engagementId: string): Stored[] {
    return (this.stmts.byEngagement.all(engagementId) as Row[]).map(fromRow);
  }
  members(engagementId: string): EngagementMember[] {
    return this.stmts.members.all(engagementId) as EngagementMember[];
  }
  dueForExpiry(nowIso: string): Stored[] {
    return (this.stmts.dueExpiry.all(nowIso) as Row[]).map(fromRow);
  }
  /** Unanswered invitations owned by `orgId` created at or before `cutoffIso`. */
  openInvitations(orgId: string, cutoffIso: string): Stored[] {
    return (this.stmts.openInvitations.all(orgId, cutoffIso) as Row[]).map(fromRow);
  }
  /** A page of raw rows (the JSON body unparsed: lists render it as is). */
  selectRaw(where: string, params: unknown[], orderBy: string, limit: number): RawRow[] {
    const sql = `SELECT r.id, r.engagement_id, r.created, r.updated, r.name, r.etag, r.body FROM referrals AS r WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit}`;
    return this.prepared(sql).all(...params) as RawRow[];
  }
  countWhere(where: string, params: unknown[]): number {
    return (this.prepared(`SELECT count(*) AS n FROM referrals AS r WHERE ${where}`).get(...params) as { n: number }).n;
  }
  total(): number {
    return (this.stmts.count.get() as { n: number }).n;
  }
  newestStamp(): string | null {
    return (this.stmts.maxStamp.get() as { m: string | null }).m;
  }

  addEvent(name: string, referralId: string, orgId: string, created: string, recipients: unknown[]): void {
    this.stmts.insertEvent.run(name, referralId, orgId, created, JSON.stringify(recipients));
  }
  eventsAfter(after: number, limit: number, orgId?: string): EventRecord[] {
    const rows = orgId ? this.stmts.orgEvents.all(after, orgId, limit) : this.stmts.events.all(after, limit);
    return (rows as { id: number; name: string; referral_id: string; org_id: string; created: string; recipients: string }[]).map((e) => ({
      id: e.id,
      name: e.name,
      referralId: e.referral_id,
      orgId: e.org_id,
      created: e.created,
      recipients: JSON.parse(e.recipients) as unknown[],
    }));
  }

  meta(key: string): string | undefined {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }
  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  private analyzedAt = -1;

  /** Refresh planner statistics when the referrals table has doubled since the last analysis. */
  refreshStatistics(): void {
    const n = this.total();
    if (n < 1000 || (this.analyzedAt > 0 && n < 2 * this.analyzedAt)) return;
    this.db.exec('ANALYZE');
    this.analyzedAt = n;
  }

  close(): void {
    this.db.close();
  }
}
