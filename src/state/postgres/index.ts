export { openPostgresState, type PostgresState } from './state.js';
export { acquireLease, renewLease, releaseLease, FencedError, type Fence } from './lease.js';
export { openPool, migrate, type Db, type PoolOptions } from './pool.js';
export { connectionConfigs, parseConnection, type ConnectionConfigs } from './connection-configs.js';
