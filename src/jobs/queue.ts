/**
 * The sync queue on BullMQ (Redis). A job scheduler per connection from its cron (Redis keeps the schedule, so no
 * process of ours is a single point of failure), and "sync now" jobs deduplicated per connection: at most one
 * waiting and one running per connection, whoever asks. The lease in PostgreSQL is the second guard.
 */
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';

export const QUEUE = 'cosell-sync';

export const syncJobSchema = z.strictObject({ connection: z.string().min(1), full: z.boolean().optional() });
export type SyncJob = z.infer<typeof syncJobSchema>;

/** Retries with backoff for failures that may pass (a remote outage); fatal ones are parked by the worker instead. */
export const jobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};

/** Workers need `maxRetriesPerRequest: null` (blocking commands wait as long as they must). */
export const redisConnection = (url: string) => new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });

export interface SyncQueue {
  readonly queue: Queue<SyncJob>;
  /** Make the job schedulers match these connections (cron per connection); schedulers of others are removed. */
  schedule(connections: { name: string; schedule: string }[]): Promise<void>;
  /** Queue a cycle of the connection now (one waiting per connection; a running one is followed by one more). */
  syncNow(connection: string, opts?: { full?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export function openSyncQueue(redisUrl: string, prefix: string): SyncQueue {
  const connection = redisConnection(redisUrl);
  const queue = new Queue<SyncJob>(QUEUE, { connection, prefix, defaultJobOptions: jobOptions });
  return {
    queue,
    async schedule(connections) {
      const wanted = new Set(connections.map((c) => c.name));
      for (const c of connections) {
        await queue.upsertJobScheduler(c.name, { pattern: c.schedule }, { name: 'cycle', data: { connection: c.name }, opts: jobOptions });
      }
      for (const s of await queue.getJobSchedulers()) if (s.key && !wanted.has(s.key)) await queue.removeJobScheduler(s.key);
    },
    async syncNow(name, opts = {}) {
      const job = await queue.add('now', { connection: name, ...(opts.full ? { full: true } : {}) }, { deduplication: { id: `now:${name}`, keepLastIfActive: true } });
      return job.id ?? '';
    },
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}
