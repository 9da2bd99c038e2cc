/**
 * The page pipeline: every page, whichever phase it comes from, is planned and makes its referral calls, then
 * goes to a sink (`sinks.ts`): the commit sink folds, writes the CRM and commits; the dry-run sink only records.
 */
import { setImmediate } from 'node:timers/promises';
import { AuthError, BudgetExhaustedError, describeError } from '../runtime/index.js';
import type { RunCounts } from '../state/index.js';
import type { CrmWriteEnv } from './crm-writes.js';
import { workKey, type Cursor, type Settled } from './fold.js';
import { pendingCreatesOf } from './pending.js';
import type { Action } from './plan.js';
import type { ConnectionPorts } from './ports.js';
import { syncRecord, type RecordWork } from './record.js';

export interface Page {
  phase: 'retries' | 'referrals' | 'crm';
  works: RecordWork[];
  /** The cursor this page's commit moves to (none for retries). */
  cursor: Cursor | null;
  /** Records read for the page (progress). */
  read: number;
  /** What the source counted while reading: records pulled, and those skipped as unchanged. */
  counts: Partial<Pick<RunCounts, 'pulledCrm' | 'pulledReferrals' | 'unchanged'>>;
}

export interface PlannedRecord {
  crmId: string | null;
  referralId: string | null;
  actions: Action['type'][];
  blocked: string[];
  conflicts: string[];
  problems: string[];
}

export interface PageEnv extends CrmWriteEnv, ConnectionPorts {
  now: () => Date;
}

/** Where a page's outcomes end. */
export interface PageSink {
  /** Whether records make their referral calls (a dry run only plans). */
  readonly callsReferrals: boolean;
  /** What a dry run would have done; empty when the sink writes. */
  readonly planned: PlannedRecord[];
  /** Before any create is sent: remember it might happen. */
  announce(pending: string[], at: Date): Promise<void>;
  deliver(page: Page, settled: Settled[], pending: string[], at: Date): Promise<void>;
}

export async function runPage(env: PageEnv, sink: PageSink, page: Page): Promise<void> {
  const at = env.now();
  const pending = pendingCreatesOf(page.works);
  await sink.announce(pending, at);
  const settled = await settleAll(env, sink, page.works);
  for (const s of settled) {
    if ('failure' in s) env.log.warn('record failed', { connection: env.connection, record: s.failure.key, error: s.failure.message });
  }
  await sink.deliver(page, settled, pending, at);
}

/** Failures that make the rest of the cycle pointless: stop and report, don't mark every record. */
function isFatal(err: unknown): boolean {
  return err instanceof AuthError || err instanceof BudgetExhaustedError;
}

/** Records planned between two turns of the event loop while a page starts its calls. */
const START_BATCH = 32;

/**
 * Plan every record and make its referral calls, all at once (the rate lane paces them). The event loop gets a
 * turn every START_BATCH records, so the first calls are on the wire while the rest of the page is planned
 * instead of after it (with a remote latency that is a page's planning time saved); after a fatal failure
 * (credentials, budget) no further record is started.
 */
async function settleAll(env: PageEnv, sink: PageSink, works: RecordWork[]): Promise<Settled[]> {
  const ctx = { mapping: env.mapping, referrals: env.referrals, dryRun: !sink.callsReferrals };
  let fatal = false;
  const settle = async (work: RecordWork): Promise<Settled> => {
    try {
      return { work, outcome: await syncRecord(ctx, work) };
    } catch (error) {
      if (isFatal(error)) {
        fatal = true;
        throw error;
      }
      return { work, failure: { key: workKey(work), message: describeError(error) } };
    }
  };
  const started: Promise<Settled>[] = [];
  for (let i = 0; i < works.length && !fatal; i++) {
    if (i > 0 && i % START_BATCH === 0) await setImmediate();
    const p = settle(works[i]!);
    // Handled at once (Promise.all below reports it): a fatal failure must not be an unhandled rejection meanwhile.
    p.catch(() => undefined);
    started.push(p);
  }
  return Promise.all(started);
}
