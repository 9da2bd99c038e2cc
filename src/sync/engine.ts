/**
 * One sync cycle of one connection: the phase sources (retries and interrupted creates first, then referral
 * changes, then CRM changes) feed their pages, one at a time, through the page pipeline into a sink — the
 * commit sink for a sync, the dry-run sink for a plan.
 */
import { describeError } from '../runtime/index.js';
import type { RunCounts } from '../state/index.js';
import { runPage, type Page, type PageEnv, type PageSink, type PlannedRecord } from './pipeline.js';
import { commitSink, dryRunSink } from './sinks.js';
import type { ConnectionPorts } from './ports.js';
import { prefetchFirst } from './read-ahead.js';
import { crmChanges, crmPages, referralChanges, retries, type SourceEnv } from './sources.js';
import { runTally } from './tally.js';

export interface CycleDeps extends ConnectionPorts {
  correlationId: string;
  pageSize?: number;
  now?: () => Date;
  /** Aborting finishes the current page, checkpoints it, and stops. */
  signal?: AbortSignal;
  /** Ignore the cursors: read everything and reconcile against existing links and referrals. */
  full?: boolean;
  /** Plan only: read both sides, write nothing, return the planned actions. */
  dryRun?: boolean;
  onProgress?: (e: { phase: Page['phase']; records: number }) => void;
}

export type { PlannedRecord };

export interface CycleResult {
  /** What this run did; `counts.issues` counts the issues seen in this run. */
  counts: RunCounts;
  /** Records with an open issue after this run (what `issues list` and `status` show). */
  openIssues: number;
  planned: PlannedRecord[];
  interrupted: boolean;
}

type CycleEnv = PageEnv & SourceEnv;

async function openCycle(deps: CycleDeps): Promise<CycleEnv> {
  const { mapping } = deps;
  const statusField = mapping.statusField;
  return {
    ...deps,
    now: deps.now ?? (() => new Date()),
    tally: runTally(),
    readFields: [...new Set([...mapping.fieldsToRead, mapping.referralIdField, ...(statusField ? [statusField.field] : [])])],
    pending: new Set((await deps.state.pendingCreates(deps.connection)).map((p) => p.key)),
    pageSize: deps.pageSize ?? 200,
    full: deps.full === true,
    stopped: () => deps.signal?.aborted === true,
  };
}

/** Each page through the pipeline; after each commit, stop if asked to. */
async function drain(env: CycleEnv, sink: PageSink, source: AsyncIterable<Page>, onProgress: CycleDeps['onProgress']): Promise<void> {
  for await (const page of source) {
    env.tally.add(page.counts);
    onProgress?.({ phase: page.phase, records: page.read });
    await runPage(env, sink, page);
    if (env.stopped()) return;
  }
}

export async function runCycle(deps: CycleDeps): Promise<CycleResult> {
  const { connection, crm, referrals, state, log } = deps;
  await state.ensureConnection(connection, crm.kind);
  // A dry run records no run and commits nothing.
  const runId = deps.dryRun ? null : await state.startRun(connection, deps.correlationId);
  const env = await openCycle(deps);
  const sink = deps.dryRun ? dryRunSink(env) : commitSink(env);
  const counts = env.tally.counts;
  const callsAtStart = { crm: crm.calls(), referrals: referrals.calls() };
  const tally = () => {
    counts.crmCalls = crm.calls() - callsAtStart.crm;
    counts.referralCalls = referrals.calls() - callsAtStart.referrals;
    const usage = crm.usage();
    counts.crmBudget = usage ? `${usage.used}/${usage.max}` : null;
  };
  // The CRM's first page is read while retries and referral changes run; it is used only if those phases changed
  // no CRM record (else it may predate our own write-back, and is read again) — one round trip saved per cycle.
  // A write the CRM refused changed nothing, so the run's counts of writes that landed are the test.
  const crmEarly = prefetchFirst(crmPages(env));
  try {
    for (const source of [retries(env, deps.dryRun === true), referralChanges(env)]) {
      if (env.stopped()) break;
      await drain(env, sink, source, deps.onProgress);
    }
    const crmFresh = counts.writtenBack + counts.createdInCrm > 0 || env.stopped();
    if (crmFresh) crmEarly.discard();
    if (!env.stopped()) await drain(env, sink, crmChanges(env, crmFresh ? crmPages(env) : crmEarly), deps.onProgress);
    tally();
    if (runId !== null) await state.finishRun(runId, env.stopped() ? 'interrupted' : 'ok', counts);
    const openIssues = (await state.issuesPage({ connection, offset: 0, limit: 0 })).total; // a count, not every row
    // The one-line summary is the caller's to print; the log keeps the run's figures at debug.
    log.debug('sync run finished', { connection, interrupted: env.stopped(), openIssues, ...counts });
    return { counts, openIssues, planned: sink.planned, interrupted: env.stopped() };
  } catch (err) {
    crmEarly.discard();
    tally();
    if (runId !== null) await state.finishRun(runId, 'failed', counts, describeError(err));
    throw err;
  }
}
