/**
 * The first screen an admin reads: at info level one line per kind of event, not one per record. Closed
 * Dataverse rows take their status line like any other (the Web API may write a closed row) and say nothing.
 */
import { Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { createLogger } from '../../src/runtime/index.js';
import { startStack, type Stack } from './stack.js';

let s: Stack;
afterEach(async () => {
  await s?.close();
});

function capture(level: 'info' | 'debug') {
  const lines: { level: string; message: string; count?: number }[] = [];
  const log = createLogger({
    level,
    format: 'json',
    stream: new Writable({
      write(chunk, _e, cb) {
        lines.push(JSON.parse(String(chunk)) as { level: string; message: string });
        cb();
      },
    }),
  });
  return { log, lines };
}

it('closed Dataverse rows seen first get their line without a log line each', async () => {
  const { log, lines } = capture('debug');
  s = await startStack('dynamics365', { log });
  const closed = Array.from({ length: 3 }, (_, i) => s.crm.create({ name: `Closed ${i}` }));
  closed.forEach((id) => s.crm.win(id));
  s.crm.create({ name: 'Open deal' });
  await s.sync();
  for (const id of closed) expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^– not shared: already won/);
  expect(lines.filter((l) => l.level === 'info' && /closed/.test(l.message))).toEqual([]);
});

it("the referrals client's incremental-mode detection is a debug line, not an info line next to every summary", async () => {
  const { log, lines } = capture('debug');
  s = await startStack('salesforce');
  const client = createReferralsClient({
    baseUrl: s.store.url,
    auth: apiKeyProvider(s.store.apiKey),
    rate: { concurrency: 2, intervalCap: 100, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 1 },
    incremental: { mode: 'auto', overlapSeconds: 0 },
    log,
  });
  for await (const page of client.pull(null)) void page;
  expect(lines.filter((l) => l.message === 'referrals incremental mode').map((l) => l.level)).toEqual(['debug']);
});
