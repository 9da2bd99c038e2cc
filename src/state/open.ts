/** The state the config names: a SQLite file, or PostgreSQL at the URL held by the named environment variable. */
import { ConfigError, resolveFromConfig, type LoadedConfig } from '../runtime/index.js';
import { openPostgresState } from './postgres/index.js';
import { openSqliteState } from './sqlite.js';
import type { SyncState } from './types.js';

export async function openConfiguredState(config: Pick<LoadedConfig, 'state' | 'baseDir' | 'file'>, env: NodeJS.ProcessEnv = process.env): Promise<SyncState> {
  const s = config.state;
  if (s.kind === 'sqlite') return openSqliteState(resolveFromConfig(config, s.path));
  return openPostgresState({ url: databaseUrl(config, env), schema: s.schema, max: s.poolSize });
}

export function databaseUrl(config: Pick<LoadedConfig, 'state' | 'file'>, env: NodeJS.ProcessEnv = process.env): string {
  const url = env[config.state.urlEnv];
  if (!url) throw new ConfigError(`state.kind is postgres: set ${config.state.urlEnv} to the PostgreSQL URL (postgres://user@host:5432/db)`, config.file);
  return url;
}
