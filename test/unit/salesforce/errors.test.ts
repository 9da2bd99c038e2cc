/**
 * The Salesforce connector's handling of answers the sandbox never gives, through nock: non-JSON and HTML
 * error pages, a session rejected twice, a spent daily budget, a passing 503.
 */
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.js';
import { AuthError, BudgetExhaustedError, RemoteError } from '../../../src/runtime/index.js';

const ORG = 'https://partner.my.salesforce.com';
const token = () =>
  nock(ORG)
    .post('/services/oauth2/token')
    .reply(200, { access_token: '00Dxx!token-abcdef', instance_url: ORG, id: `${ORG}/id/00Dxx/005xx`, token_type: 'Bearer', issued_at: '1', signature: 's' });
const connector = () =>
  createSalesforceConnector({
    instanceUrl: ORG,
    apiVersion: '62.0',
    auth: { method: 'client-credentials', clientId: 'client-1', clientSecret: 'secret-value-123456' },
    rate: { concurrency: 2, intervalCap: 1000, intervalMs: 1000, timeoutMs: 5000, maxRetries: 1 },
    budget: { warnAt: 0.8, pauseAt: 0.95 },
  });
const describeUrl = '/services/data/v62.0/sobjects/Opportunity/describe';

afterEach(() => nock.cleanAll());

describe('salesforce connector: odd answers', () => {
  it('an HTML error page is a RemoteError naming the call, not a crash', async () => {
    token();
    nock(ORG).get(describeUrl).times(2).reply(500, '<html><body>Maintenance</body></html>', { 'Content-Type': 'text/html' });
    const err = await connector()
      .describeFields()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/describe opportunity/);
  });

  it('JSON of the wrong shape is a RemoteError naming the call and the field (parsed at the boundary, not cast)', async () => {
    token();
    nock(ORG)
      .get(describeUrl)
      .reply(200, { fields: [{ name: 'StageName', type: 'picklist' }] });
    const err = await connector()
      .describeFields()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/^Salesforce describe opportunity: unexpected response \(fields\.0\.label: /);
  });

  it('a session rejected twice is an AuthError naming the client', async () => {
    token();
    token();
    nock(ORG)
      .get(describeUrl)
      .times(2)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const err = await connector()
      .describeFields()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/client client-1/);
    expect((err as Error).message).not.toContain('secret-value-123456');
  });

  it('REQUEST_LIMIT_EXCEEDED is a BudgetExhaustedError', async () => {
    token();
    nock(ORG)
      .get(describeUrl)
      .reply(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    await expect(connector().describeFields()).rejects.toBeInstanceOf(BudgetExhaustedError);
  });

  it('a passing 503 on a read is retried and succeeds', async () => {
    token();
    nock(ORG).get(describeUrl).reply(503, 'Service Unavailable', { 'Content-Type': 'text/plain' });
    nock(ORG)
      .get(describeUrl)
      .reply(
        200,
        { name: 'Opportunity', fields: [{ name: 'Name', label: 'Name', type: 'string', custom: false, updateable: true }] },
        { 'Sforce-Limit-Info': 'api-usage=10/15000' },
      );
    const c = connector();
    expect((await c.describeFields()).map((f) => f.name)).toEqual(['Name']);
    expect(c.usage()).toEqual({ used: 10, max: 15000 });
  });

  it('a query answer whose records are not objects, lack their Id or carry no date-time stamp is a RemoteError, not a record with id "undefined"', async () => {
    const pull = async () => {
      for await (const _ of connector().pull(null, { fields: ['Name'] }));
    };
    const stamp = '2026-01-01T00:00:00.000+0000';
    token();
    nock(ORG)
      .get(/\/services\/data\/v62\.0\/queryAll/)
      .reply(200, { totalSize: 1, done: true, records: ['0065g00000AbCdEAAA'] });
    await expect(pull()).rejects.toThrow(/^Salesforce pull opportunities: unexpected response \(records\.0: expected a record/);
    token();
    nock(ORG)
      .get(/\/services\/data\/v62\.0\/queryAll/)
      .reply(200, { totalSize: 1, done: true, records: [{ attributes: { type: 'Opportunity' }, SystemModstamp: stamp, Name: 'No id' }] });
    const err = await pull().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toBe('Salesforce: unexpected response (a record without Id: undefined)');
    token();
    nock(ORG)
      .get(/\/services\/data\/v62\.0\/queryAll/)
      .reply(200, { totalSize: 1, done: true, records: [{ attributes: { type: 'Opportunity' }, Id: '0065g00000AbCdEAAA', SystemModstamp: 'yesterday' }] });
    await expect(pull()).rejects.toThrow('Salesforce: unexpected response (SystemModstamp "yesterday" is not a date-time)');
  });

  it('a truncated JSON body is a clear error', async () => {
    token();
    nock(ORG).get(describeUrl).times(2).reply(200, '{"name":"Opportunity","fie', { 'Content-Type': 'application/json' });
    const err = await connector()
      .describeFields()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
  });
});
