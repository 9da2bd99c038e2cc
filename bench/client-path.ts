/**
 * Where a referral create's client CPU goes, layer by layer: the same POST and answer, sent by a bare keep-alive
 * `http.request` (what the API floor does), then through axios with the lean adapter, the referrals HTTP client
 * (token, Partner Center headers, typed errors), the rate lane, the answer's validation, and the client's
 * `create` itself. Each row adds one layer to the one above; the difference is that layer's cost per call.
 *
 * The answer is one the referral store gave for this body, replayed by a plain HTTP server in a child process,
 * so `process.cpuUsage()` here is the client's alone and every layer sees the same bytes.
 *
 *   npm run build && node dist/bench/client-path.js [--calls 3000] [--rounds 9]
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referralSchema } from '../src/domain/index.js';
import { apiKeyProvider, createHttpClient, createReferralsClient } from '../src/partner-center/index.js';
import { startReferralStore } from '../src/referral-store/index.js';
import { createLane, createTextAxios } from '../src/runtime/index.js';

const CONCURRENCY = 16;
const body = {
  name: 'Contoso expansion',
  externalReferenceId: '006000000000000001',
  type: 'Independent',
  customerProfile: { name: 'Contoso', address: { country: 'NL', city: 'Utrecht' } },
  consent: { consentToShareReferralWithMicrosoftSellers: false },
  details: { notes: 'first notes', dealValue: 12500, currency: 'EUR', closingDateTime: '2027-03-01T00:00:00Z', requirements: { solutions: [{ id: 'SOL-AZ-001' }] } },
  team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phoneNumber: '+31201234567' }],
  salesStage: 'Qualify',
};

/** Child: one real create on a fresh store, then that answer for every request. */
async function serve(): Promise<void> {
  const store = await startReferralStore({ dbFile: join(mkdtempSync(join(tmpdir(), 'cosell-client-path-')), 'store.db') });
  const res = await fetch(`${store.url}/referrals`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${store.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.text();
  const etag = res.headers.get('etag') ?? '';
  await store.close();
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, out) => {
    req.resume();
    req.on('end', () => {
      out.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8', ETag: etag, 'Content-Length': Buffer.byteLength(answer) });
      out.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
}

async function measure(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
  const calls = arg('calls', 3000);
  const rounds = arg('rounds', 9);
  const child = fork(fileURLToPath(import.meta.url), ['--serve']);
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)));
  const base = `http://127.0.0.1:${port}/v1.0/engagements`;
  const url = `${base}/referrals`;
  const auth = apiKeyProvider('k'.repeat(40));
  const headers = () => ({
    Accept: 'application/json',
    'Content-Type': 'application/json',
    Authorization: 'Bearer kkkk',
    'client-request-id': crypto.randomUUID(),
    'MS-CorrelationId': 'c',
  });

  const bare = () =>
    new Promise<unknown>((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = http.request(url, { method: 'POST', headers: { ...headers(), 'Content-Length': Buffer.byteLength(text) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      });
      req.on('error', reject);
      req.end(text);
    });
  const ax = createTextAxios({ timeoutMs: 30_000, maxContentLength: 50 * 1024 * 1024 });
  const viaAxios = async () => JSON.parse((await ax.request<string>({ method: 'POST', url, data: JSON.stringify(body), headers: headers() })).data) as unknown;
  const httpClient = createHttpClient({ auth, timeoutMs: 30_000 });
  const viaHttpClient = () => httpClient.call({ method: 'POST', url, body, label: 'create referral' }, new AbortController().signal);
  const lane = createLane({ name: 'referrals bench', concurrency: CONCURRENCY, intervalCap: 1_000_000, intervalMs: 1000, timeoutMs: 30_000, maxRetries: 3 });
  const viaLane = () => lane.run((s) => httpClient.call({ method: 'POST', url, body, label: 'create referral' }, s), { idempotent: false, label: 'create referral' });
  const validated = async () => referralSchema.parse((await viaLane()).data);
  const client = createReferralsClient({ baseUrl: base, auth, rate: { concurrency: CONCURRENCY, intervalCap: 1_000_000, intervalMs: 1000, timeoutMs: 30_000, maxRetries: 3 } });
  const create = () => client.create(body as never);

  const layers: [string, () => Promise<unknown>][] = [
    ['bare http.request (the floor)', bare],
    ['+ axios, lean adapter', viaAxios],
    ['+ referrals HTTP client', viaHttpClient],
    ['+ rate lane', viaLane],
    ['+ answer validated (zod)', validated],
    ['client.create', create],
  ];
  /** CPU µs per call of `calls` calls, CONCURRENCY in flight. */
  const run = async (fn: () => Promise<unknown>, n: number) => {
    const cpu = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < n) await fn();
      }),
    );
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / n;
  };
  for (const [, fn] of layers) await run(fn, 1000);
  const samples = layers.map(() => [] as number[]);
  // Rounds alternate the layers, so a burst of load elsewhere falls on all of them; the lowest fifth is reported.
  for (let r = 0; r < rounds; r++) for (const [i, [, fn]] of layers.entries()) samples[i]!.push(await run(fn, calls));
  const low = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 5)]!;
  const floor = low(samples[0]!);
  process.stdout.write(`client CPU per referral create, µs (${calls} calls × ${rounds} rounds, ${CONCURRENCY} in flight; lowest fifth)\n`);
  let previous = floor;
  for (const [i, [name]] of layers.entries()) {
    const us = low(samples[i]!);
    process.stdout.write(`${name.padEnd(32)} ${us.toFixed(0).padStart(5)}  ${i ? `${us - previous >= 0 ? '+' : ''}${(us - previous).toFixed(0)}` : ''}\n`);
    previous = us;
  }
  child.kill();
}

if (process.argv.includes('--serve')) await serve();
else await measure();
