/** Numbered schema migrations; each runs once, in order, inside a transaction. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE connections (name TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE links (
    connection TEXT NOT NULL,
    crm_id TEXT NOT NULL,
    referral_id TEXT NOT NULL,
    base TEXT NOT NULL,
    referral_snapshot TEXT,
    referral_etag TEXT,
    crm_version TEXT,
    state TEXT NOT NULL CHECK (state IN ('ok','blocked','error')),
    message TEXT,
    written TEXT NOT NULL DEFAULT '{}',
    direction TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, crm_id)
  );
  CREATE UNIQUE INDEX links_by_referral ON links (connection, referral_id);
  CREATE TABLE cursors (
    connection TEXT NOT NULL, direction TEXT NOT NULL, value TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, direction)
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL, correlation_id TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, counts TEXT NOT NULL, error TEXT
  );
  CREATE INDEX runs_by_connection ON runs (connection, id);
  CREATE TABLE issues (
    connection TEXT NOT NULL, record_key TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
    retry INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (connection, record_key)
  );
  CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL, crm_id TEXT NOT NULL, referral_id TEXT NOT NULL, field TEXT NOT NULL,
    base_value TEXT, crm_value TEXT, referral_value TEXT,
    created_at TEXT NOT NULL, resolved_at TEXT, resolution TEXT
  );
  CREATE UNIQUE INDEX conflicts_open ON conflicts (connection, crm_id, field) WHERE resolved_at IS NULL;
  CREATE TABLE pending_creates (connection TEXT NOT NULL, key TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (connection, key));
  CREATE TABLE retries (connection TEXT NOT NULL, record_key TEXT NOT NULL, PRIMARY KEY (connection, record_key));
  `,
  // What the CRM reads back where that differs from the agreed deal (a many-to-one stage, a field the CRM cannot hold).
  `ALTER TABLE links ADD COLUMN crm_echo TEXT NOT NULL DEFAULT '{}';`,
  // 3: the sync log (per-record outcomes per run, kept for a configured number of days) and paused connections.
  `
  CREATE TABLE sync_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL, connection TEXT NOT NULL, at TEXT NOT NULL,
    crm_id TEXT, referral_id TEXT, name TEXT, outcome TEXT NOT NULL, reason TEXT
  );
  CREATE INDEX sync_log_by_run ON sync_log (run_id, id);
  CREATE INDEX sync_log_by_crm ON sync_log (connection, crm_id);
  CREATE INDEX sync_log_by_referral ON sync_log (connection, referral_id);
  CREATE INDEX sync_log_by_at ON sync_log (at);
  CREATE TABLE paused (connection TEXT PRIMARY KEY, at TEXT NOT NULL);
  CREATE INDEX issues_by_last_seen ON issues (connection, last_seen);
  `,
  // 4: link counts per state (status, metrics, the console's overview) from the index alone, not 100,000 wide rows.
  `CREATE INDEX links_by_state ON links (connection, state);`,
];
