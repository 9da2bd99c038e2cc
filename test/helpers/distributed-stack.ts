/**
 * What the distributed tests share: Salesforce sandboxes (one org per connection) and a referral store in the
 * test process, a PostgreSQL schema and a Redis prefix of their own, worker processes (test/distributed/
 * dist-worker.ts) to start, kill, freeze and stop, and the end-state checks: one referral per opportunity, no
 * duplicate, every write-back present, no two lease tokens interleaved in one connection's page commits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertBulkOpportunities, startSalesforceSandbox, type SalesforceSandbox } from '../../sandboxes/index.js';
import { openSyncQueue, type SyncQueue } from '../../src/jobs/index.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../src/referral-store/index.js';
import { openPostgresState, type PostgresState } from '../../src/state/index.js';
import { databaseUrl, redisUrl, tearDown, uniqueName } from './services.js';

export interface DistConnection {
  name: string;
  sb: SalesforceSandbox;
  storeKey: string;
  records: number;
}

export interface WorkerProc {
  child: ChildProcess;
  /** Resolves at the next `page` line this worker prints (of any connection, or the one named); fails after the timeout. */
  nextPage(connection?: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export interface DistStack {
  schema: string;
  prefix: string;
  connections: DistConnection[];
  store: ReferralStoreHandle;
  state: PostgresState;
  queue: SyncQueue;
  startWorker(env?: Record<string, string>): Promise<WorkerProc>;
  /** Wait until no job is waiting, delayed (but a job scheduler's next tick) or running. */
  drained(timeoutMs: number): Promise<void>;
  /** Page commits in order: [connection, token, holder]. */
  pageCommits(): Promise<{ connection: string; token: number; holder: string; at: Date }[]>;
  /** Per connection: referrals in the store, duplicates, opportunities whose write-back is missing. */
  verify(): Promise<{ name: string; referrals: number; duplicates: string[]; missingWriteBack: string[] }[]>;
  close(): Promise<void>;
}

export async function startDistStack(opts: { connections: number; records: number | ((i: number) => number) }): Promise<DistStack> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-dist-'));
  const store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    apiKey: 'dist-test-key-1',
    adminKey: 'dist-admin-key-1',
    microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
  });
  const connections: DistConnection[] = [];
  const workers: WorkerProc[] = [];
  for (let i = 0; i < opts.connections; i++) {
    const name = `conn${i}`;
    const records = typeof opts.records === 'number' ? opts.records : opts.records(i);
    const sb = await startSalesforceSandbox({ certDir: '.cosell/test-certs/salesforce' });
    insertBulkOpportunities(sb.org, records, { account: `Contoso ${i}`, name: (r) => `Deal ${i}-${r}` });
    const res = await fetch(`${store.origin}/_admin/organizations/${name}/keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${store.adminKey}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    connections.push({ name, sb, storeKey: ((await res.json()) as { apiKey: string }).apiKey, records });
  }
  const schema = uniqueName('dist');
  const prefix = uniqueName('cosell-test');
  const state = await openPostgresState({ url: databaseUrl, schema });
  const queue = openSyncQueue(redisUrl, prefix);
  const workerConns = JSON.stringify(
    connections.map((c) => ({
      name: c.name,
      sfUrl: c.sb.url,
      clientId: c.sb.credentials.clientId,
      username: c.sb.credentials.username,
      key: c.sb.credentials.privateKeyPem,
      storeKey: c.storeKey,
    })),
  );

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProc> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/distributed/dist-worker.ts'], {
      env: {
        ...process.env,
        DW_DATABASE_URL: databaseUrl,
        DW_SCHEMA: schema,
        DW_REDIS_URL: redisUrl,
        DW_PREFIX: prefix,
        DW_STORE_URL: store.url,
        DW_CONNECTIONS: workerConns,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const waiters: { connection?: string; resolve(): void }[] = [];
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      for (const m of text.matchAll(/^page (\S+)$/gm)) {
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i]!;
          if (!w.connection || w.connection === m[1]) waiters.splice(i, 1), w.resolve();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      const onData = () => out.includes('ready\n') && (child.stdout!.off('data', onData), resolve());
      child.stdout!.on('data', onData);
      void exited.then((e) => reject(new Error(`worker exited before ready (${e.code ?? e.signal}): ${out}`)));
    });
    const w: WorkerProc = {
      child,
      nextPage: (connection, timeoutMs = 90_000) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no page${connection ? ` of ${connection}` : ''} within ${timeoutMs} ms; worker output:\n${out.slice(-3000)}`)),
            timeoutMs,
          );
          waiters.push({ ...(connection ? { connection } : {}), resolve: () => (clearTimeout(timer), resolve()) });
        }),
      exited,
      output: () => out,
    };
    workers.push(w);
    return w;
  }

  return {
    schema,
    prefix,
    connections,
    store,
    state,
    queue,
    startWorker,
    async drained(timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const c = await queue.queue.getJobCounts('waiting', 'active', 'prioritized');
        // A job scheduler always holds its next cron tick as a delayed job: only other delayed jobs are work left.
        c.delayed = (await queue.queue.getJobs(['delayed'])).filter((j) => !j.repeatJobKey).length;
        if (Object.values(c).every((n) => n === 0)) return;
        if (Date.now() > until) throw new Error(`queue not drained after ${timeoutMs} ms: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async pageCommits() {
      const r = await state.db.query<{ connection: string; token: string; holder: string; committed_at: Date }>(
        'SELECT connection, token, holder, committed_at FROM page_commits ORDER BY id',
      );
      return r.rows.map((x) => ({ connection: x.connection, token: Number(x.token), holder: x.holder, at: x.committed_at }));
    },
    async verify() {
      const out = [];
      for (const c of connections) {
        const client = createReferralsClient({
          baseUrl: store.url,
          auth: apiKeyProvider(c.storeKey),
          rate: { concurrency: 8, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 2 },
        });
        const byExternal = new Map<string, string>();
        const duplicates: string[] = [];
        let referrals = 0;
        for await (const page of client.pull(null)) {
          for (const r of page.referrals) {
            referrals++;
            if (byExternal.has(r.externalReferenceId!)) duplicates.push(r.externalReferenceId!);
            byExternal.set(r.externalReferenceId!, r.id);
          }
        }
        const missingWriteBack = c.sb.org
          .all('Opportunity')
          .filter((o) => o.Referral_Id__c !== byExternal.get(String(o.Id)) || !String(o.Cosell_Sync_Status__c).startsWith('✔'))
          .map((o) => String(o.Id));
        out.push({ name: c.name, referrals, duplicates, missingWriteBack });
      }
      return out;
    },
    async close() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL'), await w.exited;
      await tearDown({ queue, state, schema, prefix });
      for (const c of connections) await c.sb.close();
      await store.close();
    },
  };
}
