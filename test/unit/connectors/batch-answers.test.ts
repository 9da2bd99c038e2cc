/** Dataverse `$batch` answers parsed at the boundary (issue 16 item 7): each part by zod, a wrong shape a RemoteError naming the call. */
import { describe, expect, it } from 'vitest';
import { readBatch } from '../../../connectors/dynamics365/batch-client.js';
import { RemoteError } from '../../../src/runtime/index.js';

const ID = '0b7f3c1e-4d2a-4c55-9a31-2f6a7e1d9c10';
const part = (http: string) => ['Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', http].join('\r\n');
const multipart = (boundary: string, parts: string[]) => `${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`;
const answer = (parts: string[]) => ({ status: 200, contentType: 'multipart/mixed; boundary=batchresponse_1', body: multipart('batchresponse_1', parts) });

const created = part(`HTTP/1.1 204 No Content\r\nOData-EntityId: https://org.example/api/data/v9.2/opportunities(${ID})\r\nETag: W/"7"\r\n`);
const failed = part('HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n{"error":{"code":"0x80060882","message":"changed"}}');

const failure = (fn: () => unknown): RemoteError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RemoteError) return err;
    throw err;
  }
  throw new Error('expected a RemoteError');
};

describe('readBatch', () => {
  it('answers in order, change sets flattened, statuses and lower-cased headers read', () => {
    const changeSet = `Content-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n${multipart('changesetresponse_2', [failed])}`;
    const out = readBatch('update opportunities', answer([created, changeSet]), 2);
    expect(out).toEqual([
      { status: 204, headers: { 'odata-entityid': `https://org.example/api/data/v9.2/opportunities(${ID})`, etag: 'W/"7"' }, body: '' },
      { status: 412, headers: { 'content-type': 'application/json' }, body: '{"error":{"code":"0x80060882","message":"changed"}}' },
    ]);
  });

  it('a part without an HTTP status line is a RemoteError naming the call and the part', () => {
    const err = failure(() => readBatch('update opportunities', answer([created, part('garbage\r\nETag: W/"8"\r\n')]), 2));
    expect(err.message).toMatch(/^Dynamics 365 update opportunities \(batch answer 2 of 2\): unexpected response \(statusLine: expected an HTTP status line/);
    expect(err.status).toBe(200);
  });

  it('an OData-EntityId that names no row is a RemoteError, not a create without an id', () => {
    const odd = part('HTTP/1.1 204 No Content\r\nOData-EntityId: https://org.example/api/data/v9.2/opportunities\r\n');
    expect(() => readBatch('create opportunities', answer([odd]), 1)).toThrow(
      /^Dynamics 365 create opportunities \(batch answer 1 of 1\): unexpected response \(headers\.odata-entityid: expected OData-EntityId to end with the row id/,
    );
  });

  it('a response that is not multipart (a gateway page) names the call and its content type', () => {
    const err = failure(() => readBatch('create tasks', { status: 200, contentType: 'text/html', body: '<html>busy</html>' }, 1));
    expect(err.message).toBe('Dynamics 365 create tasks: the batch response is not multipart/mixed (Content-Type: text/html)');
  });

  it('fewer answers than requests (a truncated body) is a RemoteError, not a silent success for the rest', () => {
    const res = answer([created]);
    expect(() => readBatch('update opportunities', { ...res, body: res.body.replace(/--batchresponse_1--\r\n$/, '') }, 2)).toThrow(
      /^Dynamics 365 update opportunities: the batch response holds 1 answers for 2 requests \(truncated\?\)$/,
    );
  });
});
