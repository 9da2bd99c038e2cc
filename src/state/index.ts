export type * from './types.js';
export { emptyCounts } from './types.js';
export { openSqliteState } from './sqlite.js';
export { decodeRecordKey, recordKey, type RecordKey, type RecordSide } from './record-key.js';
