/**
 * Connections stored in PostgreSQL (many partners without one giant YAML): each is the same object as a
 * `connections:` entry of the config file and is validated by the same zod schema on the way in and out.
 */
import { connectionSchema, ValidationError, type ConnectionConfig } from '../../runtime/index.js';
import type { Db } from './pool.js';

export interface ConnectionConfigs {
  list(): Promise<ConnectionConfig[]>;
  /** Insert or replace (validated again here: the CLI and the API both come through); `created` says which. */
  put(input: unknown): Promise<{ connection: ConnectionConfig; created: boolean }>;
  remove(name: string): Promise<boolean>;
}

export function parseConnection(input: unknown, where: string): ConnectionConfig {
  const r = connectionSchema.safeParse(input);
  if (!r.success) {
    throw new ValidationError(
      `${where}: not a valid connection`,
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
    );
  }
  return r.data;
}

export function connectionConfigs(db: Db): ConnectionConfigs {
  return {
    async list() {
      const rows = (await db.query<{ name: string; config: string }>('SELECT name, config FROM connection_configs ORDER BY name')).rows;
      return rows.map((r) => parseConnection(JSON.parse(r.config), `stored connection ${r.name}`));
    },
    async put(input) {
      const connection = parseConnection(input, 'connection');
      const r = await db.query<{ created: boolean }>(
        `INSERT INTO connection_configs (name, config) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET config = excluded.config, updated_at = now()
         RETURNING (xmax = 0) AS created`,
        [connection.name, JSON.stringify(connection)],
      );
      return { connection, created: r.rows[0]!.created };
    },
    async remove(name) {
      return ((await db.query('DELETE FROM connection_configs WHERE name = $1', [name])).rowCount ?? 0) > 0;
    },
  };
}
