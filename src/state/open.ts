/** The state the config names: a SQLite file, or PostgreSQL at the URL held by the named environment variable. */
import { ConfigError, readOptionalSecret, resolveFromConfig, type LoadedConfig } from '../runtime/index.js';
import { openPostgresState } from './load-postgres.js';
import { openSqliteState } from './sqlite.js';
import type { SyncState } from './types.js';

export async function openConfiguredState(config: Pick<LoadedConfig, 'state' | 'baseDir' | 'file'>): Promise<SyncState> {
  const s = config.state;
  if (s.kind === 'sqlite') return openSqliteState(resolveFromConfig(config, s.path));
  return openPostgresState({ url: databaseUrl(config), schema: s.schema, max: s.poolSize });
}

/** The database URL is a secret (it may carry a password): read like one (NAME or NAME_FILE), and redacted from logs. */
export function databaseUrl(config: Pick<LoadedConfig, 'state' | 'file'>): string {
  const url = config.state.kind === 'postgres' ? readOptionalSecret(config.state.urlEnv) : undefined;
  if (!url)
    throw new ConfigError(
      `state.kind is postgres: set ${config.state.kind === 'postgres' ? config.state.urlEnv : 'COSELL_DATABASE_URL'} to the PostgreSQL URL (postgres://user@host:5432/db)`,
      config.file,
    );
  return url;
}
