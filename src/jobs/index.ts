export { openSyncQueue, redisConnection, syncJobSchema, QUEUE, jobOptions, type SyncQueue, type SyncJob } from './queue.js';
export { startSyncWorker, type SyncWorker, type SyncWorkerDeps, type WorkerConnection, type JobOutcome } from './worker.js';
export { redisLanePauses } from './shared-pauses.js';
