/**
 * Runs each connection's cycle on its cron schedule (node-cron, `noOverlap`: a cycle still running skips the
 * next tick rather than running twice), and shuts down gracefully: on SIGINT/SIGTERM the running cycles are
 * asked to stop after their current page (they checkpoint), then the process exits 0.
 */
import cron from 'node-cron';
import type { Logger } from './logger.js';

export interface ScheduledJob {
  name: string;
  schedule: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface Scheduler {
  /** Resolves once every job has stopped after `stop()`. */
  stop(): Promise<void>;
  /** Run every job once now (respecting no-overlap). */
  runAllNow(): Promise<void>;
  /**
   * Run one job as soon as possible: now, or — when it is running — once more right after, so a change made
   * during the current run is not left for the next tick. Resolves when that run has finished.
   */
  runNow(name: string): Promise<void>;
  /** When the job's schedule runs it next (null when it never will). */
  nextRun(name: string): Date | null;
}

export function startScheduler(jobs: ScheduledJob[], log: Logger): Scheduler {
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  const again = new Map<string, Promise<void>>();

  const trigger = (job: ScheduledJob): Promise<void> => {
    const current = running.get(job.name);
    if (current) {
      log.debug('cycle still running; tick skipped', { connection: job.name });
      return current;
    }
    const p = job
      .run(controller.signal)
      .catch((err: unknown) => {
        log.error('cycle failed', { connection: job.name, error: (err as Error).message });
      })
      .finally(() => running.delete(job.name));
    running.set(job.name, p);
    return p;
  };

  const tasks = jobs.map((job) => {
    if (!cron.validate(job.schedule)) throw new Error(`connection ${job.name}: invalid schedule '${job.schedule}'`);
    return cron.schedule(job.schedule, () => void trigger(job), { name: job.name, noOverlap: true });
  });

  return {
    async stop() {
      for (const t of tasks) await t.stop();
      controller.abort();
      await Promise.all(running.values());
    },
    async runAllNow() {
      await Promise.all(jobs.map(trigger));
    },
    nextRun(name) {
      const i = jobs.findIndex((j) => j.name === name);
      return i >= 0 ? tasks[i]!.getNextRun() : null;
    },
    runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no scheduled job named '${name}'`));
      const current = running.get(name);
      if (!current) return trigger(job);
      // Requests during one run share the one follow-up run.
      let next = again.get(name);
      if (!next) {
        next = current.then(() => (again.delete(name), controller.signal.aborted ? undefined : trigger(job)));
        again.set(name, next);
      }
      return next;
    },
  };
}

/** Resolve when the process is asked to stop (first SIGINT/SIGTERM). */
export function onShutdownSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  const once = (sig: NodeJS.Signals) => {
    process.off('SIGINT', once);
    process.off('SIGTERM', once);
    handler(sig);
  };
  process.on('SIGINT', once);
  process.on('SIGTERM', once);
  return () => {
    process.off('SIGINT', once);
    process.off('SIGTERM', once);
  };
}
