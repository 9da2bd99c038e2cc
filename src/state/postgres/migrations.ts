/**
 * Numbered PostgreSQL schema migrations; each runs once, in order, in one transaction, under an advisory lock so
 * several workers starting at once never run one twice. Migration 1 is SQLite's three (src/state/migrations.ts)
 * in PostgreSQL's types (BIGSERIAL, BOOLEAN): the same tables and columns, so `state copy` moves rows by name; a
 * shared DDL text would have to paper over both dialects. Times are ISO text, as in SQLite, so a copied row reads
 * back identical; JSON columns are text for the same reason (jsonb would reorder keys).
 */
export const PG_MIGRATIONS: readonly string[] = [
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
    crm_echo TEXT NOT NULL DEFAULT '{}',
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
    id BIGSERIAL PRIMARY KEY,
    connection TEXT NOT NULL, correlation_id TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, counts TEXT NOT NULL, error TEXT
  );
  CREATE INDEX runs_by_connection ON runs (connection, id);
  CREATE TABLE issues (
    connection TEXT NOT NULL, record_key TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
    retry BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (connection, record_key)
  );
  CREATE INDEX issues_by_last_seen ON issues (connection, last_seen);
  CREATE TABLE conflicts (
    id BIGSERIAL PRIMARY KEY,
    connection TEXT NOT NULL, crm_id TEXT NOT NULL, referral_id TEXT NOT NULL, field TEXT NOT NULL,
    base_value TEXT, crm_value TEXT, referral_value TEXT,
    created_at TEXT NOT NULL, resolved_at TEXT, resolution TEXT
  );
  CREATE UNIQUE INDEX conflicts_open ON conflicts (connection, crm_id, field) WHERE resolved_at IS NULL;
  CREATE TABLE pending_creates (connection TEXT NOT NULL, key TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (connection, key));
  CREATE TABLE retries (connection TEXT NOT NULL, record_key TEXT NOT NULL, PRIMARY KEY (connection, record_key));
  CREATE TABLE sync_log (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL, connection TEXT NOT NULL, at TEXT NOT NULL,
    crm_id TEXT, referral_id TEXT, name TEXT, outcome TEXT NOT NULL, reason TEXT
  );
  CREATE INDEX sync_log_by_run ON sync_log (run_id, id);
  CREATE INDEX sync_log_by_crm ON sync_log (connection, crm_id);
  CREATE INDEX sync_log_by_referral ON sync_log (connection, referral_id);
  CREATE INDEX sync_log_by_at ON sync_log (at);
  CREATE TABLE paused (connection TEXT PRIMARY KEY, at TEXT NOT NULL);
  `,
  // 2: the lease of each connection (distributed mode). The token only grows (a sequence), so a page commit made
  // under an older token is refused after another worker took the connection over. page_commits records which
  // token committed each page (the overlap detector; pruned when a lease is taken).
  `
  CREATE SEQUENCE lease_tokens;
  CREATE TABLE leases (
    connection TEXT PRIMARY KEY, token BIGINT NOT NULL, holder TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL
  );
  CREATE TABLE page_commits (
    id BIGSERIAL PRIMARY KEY, connection TEXT NOT NULL, token BIGINT NOT NULL, holder TEXT NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
  );
  CREATE INDEX page_commits_by_connection ON page_commits (connection, id);
  `,
  // 3: connections managed through the admin API and the CLI (multi-tenant), each validated by the config
  // file's connection schema before it is stored; the config file's own connections are not stored here.
  `
  CREATE TABLE connection_configs (name TEXT PRIMARY KEY, config TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
  `,
  // 4: link counts per state (status, metrics, the console's overview) from the index alone.
  `CREATE INDEX links_by_state ON links (connection, state);`,
];
