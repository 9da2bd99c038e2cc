export type * from './types.js';
export { emptyCounts } from './types.js';
export { openSqliteState } from './sqlite.js';
export { openConfiguredState, databaseUrl } from './open.js';
// Only what needs no driver is exported from the backend itself; the rest loads pg on first call.
export { openPostgresState, openPool, migrate, copySqliteToPostgres } from './load-postgres.js';
export { acquireLease, renewLease, releaseLease, FencedError, type Fence } from './postgres/lease.js';
export { connectionConfigs, parseConnection, type ConnectionConfigs } from './postgres/connection-configs.js';
export type { PostgresState, PoolOptions } from './postgres/index.js';
export type { CopyCounts } from './copy.js';
export { decodeRecordKey, recordKey, type RecordKey, type RecordSide } from './record-key.js';
