/**
 * Crash-resume: a 10,000-record initial sync in a separate process, killed with SIGKILL at 20 random points
 * mid-sync (each after the run has committed one to three pages of its own, somewhere inside the next) and
 * restarted each time. At the end: exactly one referral per opportunity, no duplicate externalReferenceId,
 * every write-back present.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import type { ReferralStoreHandle } from '../../src/referral-store/index.js';
import { seededRandom as prng } from '../../src/runtime/index.js';
import type { SalesforceSandbox } from '../../sandboxes/index.js';
import { startBulkPair } from '../helpers/bulk-pair.js';

const RECORDS = 10_000;
const KILLS = 20;
/** 100 pages in all, so 20 runs of one to three pages each end before the sync does. */
const PAGE_SIZE = 100;
let sb: SalesforceSandbox;
let store: ReferralStoreHandle;
const dir = mkdtempSync(join(tmpdir(), 'cosell-crash-'));
const stateFile = join(dir, 'state.db');

/** Links the worker has committed so far (read beside it, as SQLite's WAL allows). */
function committedLinks(): number {
  if (!existsSync(stateFile)) return 0;
  const db = new Database(stateFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM links').get() as { n: number }).n;
  } catch {
    return 0; // not migrated yet: the worker is still starting
  } finally {
    db.close();
  }
}

interface WorkerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Committed links when the run started and when it was killed (null: not killed). */
  linksAtStart: number;
  linksAtKill: number | null;
}

beforeAll(async () => {
  ({ sb, store } = await startBulkPair(dir, 'crash', RECORDS));
}, 120_000);
afterAll(async () => {
  await sb?.close();
  await store?.close();
});

/** Run one sync process; with `kill`, SIGKILL it `delayMs` after it started its page number `afterPages + 1`. */
function runWorker(kill: { afterPages: number; delayMs: number } | null): Promise<WorkerRun> {
  const linksAtStart = committedLinks();
  let linksAtKill: number | null = null;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/sync-worker.ts'], {
      env: {
        ...process.env,
        WORKER_SF_URL: sb.url,
        WORKER_SF_CLIENT_ID: sb.credentials.clientId,
        WORKER_SF_USERNAME: sb.credentials.username,
        WORKER_SF_KEY: sb.credentials.privateKeyPem,
        WORKER_STORE_URL: store.url,
        WORKER_STORE_KEY: store.apiKey,
        WORKER_STATE: stateFile,
        WORKER_PAGE_SIZE: String(PAGE_SIZE),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let pages = 0;
    let timer: NodeJS.Timeout | null = null;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      pages += (d.toString().match(/^page crm /gm) ?? []).length;
      if (!kill || timer || pages <= kill.afterPages) return;
      timer = setTimeout(() => {
        linksAtKill = committedLinks();
        child.kill('SIGKILL');
      }, kill.delayMs);
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(err);
      resolve({ code, signal, linksAtStart, linksAtKill: signal === 'SIGKILL' ? linksAtKill : null });
    });
  });
}

it('survives 20 SIGKILLs mid-sync with no lost and no duplicated referral, and every write-back present', async () => {
  const random = prng(2026);
  let kills = 0;
  let midSync = 0;
  for (let i = 0; i < KILLS; i++) {
    const r = await runWorker({ afterPages: 1 + Math.floor(random() * 3), delayMs: Math.floor(random() * 300) });
    if (r.signal === 'SIGKILL') {
      kills++;
      // Mid-sync: this run had committed a page of its own, and the sync was not yet complete.
      if (r.linksAtKill! > r.linksAtStart && r.linksAtKill! < RECORDS) midSync++;
    } else expect(r.code).toBe(0);
  }
  expect(kills).toBe(KILLS);
  expect(midSync).toBe(KILLS);
  // Then let it finish (a second clean cycle settles anything the last one left to write back).
  expect((await runWorker(null)).code).toBe(0);
  expect((await runWorker(null)).code).toBe(0);

  const client = createReferralsClient({
    baseUrl: store.url,
    auth: apiKeyProvider(store.apiKey),
    rate: { concurrency: 8, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 2 },
  });
  const refs: string[] = [];
  const byExternal = new Map<string, string>();
  for await (const page of client.pull(null)) {
    for (const r of page.referrals) {
      refs.push(r.id);
      expect(byExternal.has(r.externalReferenceId!), `duplicate referral for ${r.externalReferenceId}`).toBe(false);
      byExternal.set(r.externalReferenceId!, r.id);
    }
  }
  expect(refs.length).toBe(RECORDS);
  const opps = sb.org.all('Opportunity');
  const missing = opps.filter((o) => o.Referral_Id__c !== byExternal.get(String(o.Id)));
  expect(missing.map((o) => o.Id)).toEqual([]);
  expect(opps.every((o) => String(o.Cosell_Sync_Status__c).startsWith('✔'))).toBe(true);
}, 600_000);
