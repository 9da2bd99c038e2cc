export type * from './types.js';
export { emptyCounts } from './types.js';
export { openSqliteState } from './sqlite.js';
