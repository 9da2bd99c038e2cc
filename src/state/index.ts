export type * from './types.js';
export { emptyCounts } from './types.js';
export { openSqliteState } from './sqlite.js';
export { openConfiguredState, databaseUrl } from './open.js';
export {
  openPostgresState,
  acquireLease,
  renewLease,
  releaseLease,
  FencedError,
  openPool,
  migrate,
  connectionConfigs,
  parseConnection,
  type PostgresState,
  type Fence,
  type PoolOptions,
  type ConnectionConfigs,
} from './postgres/index.js';
export { copySqliteToPostgres, type CopyCounts } from './copy.js';
export { decodeRecordKey, recordKey, type RecordKey, type RecordSide } from './record-key.js';
