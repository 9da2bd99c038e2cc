/**
 * A malformed `$batch` answer reaching the Dataverse connector (issue 16 item 7): the Web API call is the real
 * one against the sandbox (token included); the sandbox's scripted answer stands in for the `$batch` answer alone.
 * The write fails as a RemoteError naming the call and the part, instead of reading a part with status 0 as written.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RemoteError } from '../../../src/runtime/index.js';
import { startDataverse, type Dataverse } from '../../helpers/dataverse.js';

let dataverse: Dataverse;
beforeAll(async () => {
  dataverse = await startDataverse({}, { maxRetries: 0 });
});
afterAll(async () => dataverse.close());

it('a $batch answer part without a status line: the write-back is a RemoteError naming the call and the part', async () => {
  const { sb, c } = dataverse;
  const id = sb.org.insert('opportunities', { name: 'Batch answer', estimatedvalue: 1 });
  const body = ['--batchresponse_x', 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', 'HTTP/1.1 ??? Who knows', '', '--batchresponse_x--', ''].join(
    '\r\n',
  );
  const scripted = sb.answerNext('POST', '/api/data/v9.2/$batch', { status: 200, headers: { 'Content-Type': 'multipart/mixed; boundary=batchresponse_x' }, body });
  const err = await c.writeBack([{ id, fields: { name: 'Renamed' } }]).then(
    () => null,
    (e: unknown) => e,
  );
  expect(scripted.done()).toBe(true);
  expect(err).toBeInstanceOf(RemoteError);
  expect((err as Error).message).toMatch(/^Dynamics 365 update opportunities \(batch answer 1 of 1\): unexpected response \(statusLine: expected an HTTP status line/);
  // Unscripted, the same write goes through: the sandbox's real answer parses.
  await expect(c.writeBack([{ id, fields: { name: 'Renamed' } }])).resolves.toMatchObject([{ id, ok: true }]);
  expect(sb.org.get('opportunities', id).name).toBe('Renamed');
});
