/**
 * The service's Prometheus metrics (prom-client, its own registry so tests and embedders don't share globals).
 * Counters are fed as things happen (runs, API calls, webhooks); gauges that describe the state (lag, issues,
 * open conflicts, CRM budget) are read from their source at scrape time, so they are never stale.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RunCounts } from '../state/index.js';

export type WebhookResult = 'accepted' | 'duplicate' | 'rejected' | 'invalid';

/** What the state-describing gauges are read from, per connection. */
export interface MetricsSource {
  connections(): string[];
  lagSeconds(connection: string): Promise<number | null>;
  budgetRatio(connection: string): number | null;
  recordIssues(connection: string): Promise<number>;
  conflictsOpen(connection: string): Promise<number>;
}

const RECORD_ACTIONS = ['created', 'updated', 'writtenBack', 'createdInCrm', 'blocked', 'conflicts', 'issues', 'unchanged'] as const;
const ACTION_LABEL: Record<(typeof RECORD_ACTIONS)[number], string> = {
  created: 'created',
  updated: 'updated',
  writtenBack: 'written_back',
  createdInCrm: 'created_in_crm',
  blocked: 'blocked',
  conflicts: 'conflict',
  issues: 'issue',
  unchanged: 'unchanged',
};

export interface Metrics {
  registry: Registry;
  observeRun(connection: string, result: 'ok' | 'failed' | 'interrupted', seconds: number, counts: RunCounts | null): void;
  apiCall(api: string, status: string): void;
  retryAfter(api: string, seconds: number): void;
  webhook(result: WebhookResult): void;
  text(): Promise<string>;
}

export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runs = new Counter({ name: 'cosell_sync_runs_total', help: 'Sync runs by connection and result', labelNames: ['connection', 'result'], registers: [registry] });
  const duration = new Histogram({
    name: 'cosell_sync_run_duration_seconds',
    help: 'Duration of a sync run',
    labelNames: ['connection'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const records = new Counter({ name: 'cosell_sync_records_total', help: 'Records by what a run did to them', labelNames: ['connection', 'action'], registers: [registry] });
  const apiCalls = new Counter({ name: 'cosell_sync_api_calls_total', help: 'Calls to remote APIs by outcome', labelNames: ['api', 'status'], registers: [registry] });
  const retryAfter = new Counter({
    name: 'cosell_sync_api_retry_after_seconds_total',
    help: 'Seconds remote APIs asked us to wait (Retry-After)',
    labelNames: ['api'],
    registers: [registry],
  });
  const webhooks = new Counter({ name: 'cosell_sync_webhooks_total', help: 'Partner Center webhook deliveries by result', labelNames: ['result'], registers: [registry] });

  const perConnection = (name: string, help: string, read: (c: string) => Promise<number | null> | number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['connection'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of source.connections()) {
          const v = await read(c);
          if (v !== null) this.set({ connection: c }, v);
        }
      },
    });
  perConnection('cosell_sync_lag_seconds', 'Age of the oldest change not yet synced (since the start of the last successful run)', (c) => source.lagSeconds(c));
  perConnection('cosell_sync_crm_api_budget_ratio', "Share of the CRM's daily API budget used", (c) => source.budgetRatio(c));
  perConnection('cosell_sync_record_issues', 'Records that did not sync', (c) => source.recordIssues(c));
  perConnection('cosell_sync_conflicts_open', 'Open manual conflicts', (c) => source.conflictsOpen(c));

  for (const r of ['accepted', 'duplicate', 'rejected', 'invalid'] satisfies WebhookResult[]) webhooks.inc({ result: r }, 0);

  return {
    registry,
    observeRun(connection, result, seconds, counts) {
      runs.inc({ connection, result });
      duration.observe({ connection }, seconds);
      if (!counts) return;
      for (const k of RECORD_ACTIONS) if (counts[k]) records.inc({ connection, action: ACTION_LABEL[k] }, counts[k]);
    },
    apiCall: (api, status) => apiCalls.inc({ api, status }),
    retryAfter: (api, seconds) => retryAfter.inc({ api }, seconds),
    webhook: (result) => webhooks.inc({ result }),
    text: () => registry.metrics(),
  };
}
