export type * from './types.js';
export { emptyCounts } from './types.js';
export { openSqliteState } from './sqlite.js';
export { openConfiguredState, databaseUrl } from './open.js';
export { openPostgresState, type PostgresState } from './postgres/index.js';
