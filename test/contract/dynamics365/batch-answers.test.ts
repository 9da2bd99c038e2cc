/**
 * A malformed `$batch` answer reaching the Dataverse connector (issue 16 item 7): the Web API call is the real
 * one against the sandbox (token included); nock stands in for the `$batch` answer alone. The write fails as a
 * RemoteError naming the call and the part, instead of reading a part with status 0 as written.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { CrmConnector } from '../../../connectors/connector.js';
import { createDynamicsConnector } from '../../../connectors/dynamics365/index.js';
import { startDynamicsSandbox, type DynamicsSandbox } from '../../../sandboxes/index.js';
import { RemoteError } from '../../../src/runtime/index.js';

let sb: DynamicsSandbox;
let c: CrmConnector;
beforeAll(async () => {
  sb = await startDynamicsSandbox({ certDir: '.cosell/test-certs/dynamics365' });
  c = createDynamicsConnector({
    url: sb.url,
    apiVersion: '9.2',
    auth: { ...sb.credentials, authority: sb.authority, caPem: sb.caPem },
    rate: { concurrency: 2, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 0 },
  });
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  await c.close();
  await sb.close();
});

it('a $batch answer part without a status line: the write-back is a RemoteError naming the call and the part', async () => {
  const id = sb.org.insert('opportunities', { name: 'Batch answer', estimatedvalue: 1 });
  const body = ['--batchresponse_x', 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', 'HTTP/1.1 ??? Who knows', '', '--batchresponse_x--', ''].join(
    '\r\n',
  );
  const scope = nock(sb.url, { allowUnmocked: true }).post('/api/data/v9.2/$batch').reply(200, body, { 'Content-Type': 'multipart/mixed; boundary=batchresponse_x' });
  const err = await c.writeBack([{ id, fields: { name: 'Renamed' } }]).then(
    () => null,
    (e: unknown) => e,
  );
  expect(scope.isDone()).toBe(true);
  expect(err).toBeInstanceOf(RemoteError);
  expect((err as Error).message).toMatch(/^Dynamics 365 update opportunities \(batch answer 1 of 1\): unexpected response \(statusLine: expected an HTTP status line/);
  // Without nock the same write goes through: the sandbox's real answer parses.
  await expect(c.writeBack([{ id, fields: { name: 'Renamed' } }])).resolves.toMatchObject([{ id, ok: true }]);
  expect(sb.org.get('opportunities', id).name).toBe('Renamed');
});
