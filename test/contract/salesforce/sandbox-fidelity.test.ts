/**
 * The Salesforce sandbox driven the way third-party tools drive Salesforce: unmodified jsforce (SOAP and OAuth
 * login, identity, query with aggregates and subqueries, upsert, replication, Bulk API 2.0) and raw requests
 * shaped like the REST API Developer Guide's examples (composite, batch, collections, external ids).
 */
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../../sandboxes/index.js';

let sb: SalesforceSandbox;
let conn: jsforce.Connection;
const V = '/services/data/v62.0';

beforeAll(async () => {
  sb = await startSalesforceSandbox({ seed: 40, certDir: '.cosell/test-certs/salesforce' });
  conn = new jsforce.Connection({ oauth2: { loginUrl: sb.url, clientId: sb.credentials.clientId, clientSecret: sb.credentials.clientSecret }, version: '62.0' });
  await conn.login(sb.credentials.username, sb.credentials.password);
});
afterAll(async () => {
  await sb.close();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${conn.accessToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
};

describe('salesforce sandbox: sign-in as third-party clients do it', () => {
  it('SOAP login() and logout() through jsforce; the session works for REST and dies at logout', async () => {
    const c = new jsforce.Connection({ loginUrl: sb.url, version: '58.0' });
    const info = await c.login(sb.credentials.username, sb.credentials.password);
    expect(info.organizationId).toMatch(/^00D/);
    expect((await c.query('SELECT COUNT() FROM Opportunity')).totalSize).toBe(sb.org.count('Opportunity'));
    const token = c.accessToken!;
    await c.logout();
    const after = await fetch(`${sb.url}${V}/limits`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
  });

  it('a wrong password is an INVALID_LOGIN fault; API 65.0+ has no SOAP login', async () => {
    await expect(new jsforce.Connection({ loginUrl: sb.url, version: '58.0' }).login(sb.credentials.username, 'nope')).rejects.toThrow(/INVALID_LOGIN/);
    await expect(new jsforce.Connection({ loginUrl: sb.url, version: '65.0' }).login(sb.credentials.username, sb.credentials.password)).rejects.toThrow(/UNSUPPORTED_API_VERSION/);
  });

  it('identity URL and userinfo answer for the session; revoke ends it', async () => {
    const c = new jsforce.Connection({ oauth2: { loginUrl: sb.url, clientId: sb.credentials.clientId, clientSecret: sb.credentials.clientSecret }, version: '62.0' });
    await c.login(sb.credentials.username, sb.credentials.password);
    const id = await c.identity();
    expect(id.username).toBe(sb.credentials.username);
    expect(id.organization_id).toMatch(/^00D/);
    const ui = await fetch(`${sb.url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    expect(((await ui.json()) as { preferred_username: string }).preferred_username).toBe(sb.credentials.username);
    const revoke = await fetch(`${sb.url}/services/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(c.accessToken!)}`,
    });
    expect(revoke.status).toBe(200);
    expect((await fetch(`${sb.url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${c.accessToken}` } })).status).toBe(403);
  });

  it('lists versions 31.0 … and answers 404 NOT_FOUND for one it does not have', async () => {
    const versions = (await (await fetch(`${sb.url}/services/data`)).json()) as { version: string }[];
    expect(versions.map((v) => v.version)).toEqual(expect.arrayContaining(['31.0', '50.0', '62.0', '67.0']));
    const old = await api('GET', '/services/data/v20.0/sobjects');
    expect(old.status).toBe(404);
    expect(old.body[0].errorCode).toBe('NOT_FOUND');
  });
});

describe('salesforce sandbox: SOQL beyond the connector’s own queries', () => {
  it('COUNT(Id) with an alias, GROUP BY, HAVING and ORDER BY an aggregate', async () => {
    const total = sb.org.count('Opportunity');
    const counted = await conn.query<{ n: number }>('SELECT COUNT(Id) n FROM Opportunity');
    expect(counted.records[0]!.n).toBe(total);
    const grouped = await conn.query<{ StageName: string; expr0: number; expr1: number }>(
      'SELECT StageName, COUNT(Id), SUM(Amount) FROM Opportunity GROUP BY StageName HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC',
    );
    const byStage = new Map<string, number>();
    for (const r of sb.org.all('Opportunity')) byStage.set(String(r.StageName), (byStage.get(String(r.StageName)) ?? 0) + 1);
    const expected = [...byStage.entries()].filter(([, n]) => n > 1);
    expect(grouped.records).toHaveLength(expected.length);
    for (const r of grouped.records) expect(r.expr0).toBe(byStage.get(r.StageName));
    const counts = grouped.records.map((r) => r.expr0);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    await expect(conn.query('SELECT StageName, Name FROM Opportunity GROUP BY StageName')).rejects.toThrow(/grouped or aggregated/);
  });

  it('date literals with N: LAST_N_DAYS includes today, NEXT_N_DAYS does not', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const acc = sb.org.insert('Account', { Name: 'Literal Ltd' });
    const id = sb.org.insert('Opportunity', { Name: 'Literal deal', StageName: 'Prospecting', CloseDate: today, AccountId: acc });
    const last = await conn.query<{ Id: string }>(`SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:1 AND AccountId = '${acc}'`);
    expect(last.records.map((r) => r.Id)).toEqual([id]);
    const next = await conn.query(`SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:5 AND AccountId = '${acc}'`);
    expect(next.totalSize).toBe(0);
  });

  it('a parent-to-child subquery nests the children as a query result (null when there are none)', async () => {
    const acc = sb.org.insert('Account', { Name: 'Parent Co' });
    const empty = sb.org.insert('Account', { Name: 'Childless Co' });
    for (const n of ['B', 'A', 'C']) sb.org.insert('Opportunity', { Name: `Child ${n}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: acc });
    const r = await conn.query<any>(`SELECT Id, Name, (SELECT Name FROM Opportunities ORDER BY Name LIMIT 2) FROM Account WHERE Id IN ('${acc}', '${empty}') ORDER BY Name`);
    const [childless, parent] = r.records;
    expect(childless.Opportunities).toBeNull();
    expect(parent.Opportunities.records.map((o: { Name: string }) => o.Name)).toEqual(['Child A', 'Child B']);
  });

  it('a semi-join filters by another object; FIELDS(ALL) needs a LIMIT of at most 200', async () => {
    const acc = sb.org.insert('Account', { Name: 'Semi Join BV', BillingCountry: 'Iceland' });
    const id = sb.org.insert('Opportunity', { Name: 'Semi', StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: acc });
    const r = await conn.query<{ Id: string }>("SELECT Id FROM Opportunity WHERE AccountId IN (SELECT Id FROM Account WHERE BillingCountry = 'Iceland')");
    expect(r.records.map((x) => x.Id)).toEqual([id]);
    await expect(conn.query('SELECT FIELDS(ALL) FROM Opportunity')).rejects.toThrow(/LIMIT/);
    const all = await conn.query<Record<string, unknown>>('SELECT FIELDS(ALL) FROM Opportunity LIMIT 1');
    expect(Object.keys(all.records[0]!)).toEqual(expect.arrayContaining(['Referral_Id__c', 'StageName', 'SystemModstamp']));
  });

  it('Bulk API 2.0 query through jsforce returns every row as CSV records, parent fields dotted', async () => {
    const stream = await conn.bulk2.query('SELECT Id, Name, Account.Name FROM Opportunity');
    const rows: Record<string, string>[] = [];
    for await (const r of stream) rows.push(r as Record<string, string>);
    expect(rows).toHaveLength(sb.org.count('Opportunity'));
    expect(Object.keys(rows[0]!)).toEqual(['Id', 'Name', 'Account.Name']);
  });

  it('SOSL finds records by a term across text fields', async () => {
    sb.org.insert('Account', { Name: 'Zyxwvut Holdings' });
    const r = await conn.search('FIND {Zyxwvut*} IN ALL FIELDS RETURNING Account(Id, Name)');
    expect(r.searchRecords.map((x) => (x as { Name?: string }).Name)).toEqual(['Zyxwvut Holdings']);
  });
});

describe('salesforce sandbox: records by external id, replication, composite', () => {
  it('upsert by external id: 201 created, then 200 updated, 300 on duplicates; read and delete by it', async () => {
    const body = { Name: 'Ext deal', StageName: 'Prospecting', CloseDate: '2027-02-01' };
    const created = await api('PATCH', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-1`, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, created: true });
    const updated = await api('PATCH', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-1`, { Amount: 5 });
    expect(updated).toMatchObject({ status: 200, body: { id: created.body.id, created: false } });
    const read = await api('GET', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-1?fields=Amount,Name`);
    expect(read.body).toMatchObject({ Id: created.body.id, Amount: 5, Name: 'Ext deal' });
    // Through jsforce too.
    const viaJsforce = await conn.sobject('Opportunity').upsert({ Referral_Id__c: 'EXT-1', Amount: 6 } as never, 'Referral_Id__c');
    expect(viaJsforce).toMatchObject({ success: true, id: created.body.id });
    sb.org.insert('Opportunity', { ...body, Referral_Id__c: 'EXT-2' });
    sb.org.insert('Opportunity', { ...body, Referral_Id__c: 'EXT-2' });
    expect((await api('PATCH', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-2`, { Amount: 1 })).status).toBe(300);
    expect((await api('PATCH', `${V}/sobjects/Opportunity/Name/x`, { Amount: 1 })).status).toBe(404);
    expect((await api('DELETE', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-1`)).status).toBe(204);
    expect((await api('GET', `${V}/sobjects/Opportunity/Referral_Id__c/EXT-1`)).status).toBe(404);
  });

  it('updated and deleted list what changed in the window, and refuse a window without bounds', async () => {
    const start = new Date(Date.now() - 120_000).toISOString();
    const id = sb.org.insert('Opportunity', { Name: 'Repl', StageName: 'Prospecting', CloseDate: '2027-02-01' });
    const gone = sb.org.insert('Opportunity', { Name: 'Repl gone', StageName: 'Prospecting', CloseDate: '2027-02-01' });
    sb.org.remove('Opportunity', gone);
    const end = new Date(Date.now() + 120_000).toISOString();
    const upd = await conn.sobject('Opportunity').updated(start, end);
    expect(upd.ids).toContain(id);
    expect(upd.ids).not.toContain(gone);
    const del = await conn.sobject('Opportunity').deleted(start, end);
    expect(del.deletedRecords.map((d) => d.id)).toContain(gone);
    expect((await api('GET', `${V}/sobjects/Opportunity/updated`)).body[0].errorCode).toBe('MISSING_ARGUMENT');
  });

  it('composite: a later subrequest uses @{ref.id}; with allOrNone a failure rolls the earlier create back', async () => {
    const ok = await api('POST', `${V}/composite`, {
      allOrNone: false,
      compositeRequest: [
        { method: 'POST', url: `${V}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Composite AG' } },
        {
          method: 'POST',
          url: `${V}/sobjects/Opportunity`,
          referenceId: 'opp',
          body: { Name: 'Composite deal', StageName: 'Prospecting', CloseDate: '2027-03-01', AccountId: '@{acc.id}' },
        },
        { method: 'GET', url: `${V}/sobjects/Opportunity/@{opp.id}?fields=AccountId`, referenceId: 'read' },
      ],
    });
    expect(ok.body.compositeResponse.map((r: { httpStatusCode: number }) => r.httpStatusCode)).toEqual([201, 201, 200]);
    expect(ok.body.compositeResponse[2].body.AccountId).toBe(ok.body.compositeResponse[0].body.id);

    const before = sb.org.count('Account');
    const failed = await api('POST', `${V}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${V}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Rolled Back GmbH' } },
        { method: 'POST', url: `${V}/sobjects/Opportunity`, referenceId: 'opp', body: { Name: 'No stage', CloseDate: '2027-03-01', AccountId: '@{acc.id}' } },
      ],
    });
    expect(failed.body.compositeResponse.map((r: { httpStatusCode: number }) => r.httpStatusCode)).toEqual([400, 400]);
    expect(failed.body.compositeResponse[0].body[0].errorCode).toBe('PROCESSING_HALTED');
    expect(failed.body.compositeResponse[1].body[0].errorCode).toBe('REQUIRED_FIELD_MISSING');
    expect(sb.org.count('Account')).toBe(before);
  });

  it('collections: allOrNone rolls back the valid records; retrieve answers null for an unknown id', async () => {
    const before = sb.org.count('Account');
    const res = await api('POST', `${V}/composite/sobjects`, {
      allOrNone: true,
      records: [
        { attributes: { type: 'Account' }, Name: 'Valid One' },
        { attributes: { type: 'Account' }, Nope__c: 'x' },
      ],
    });
    expect(res.body.map((r: { success: boolean }) => r.success)).toEqual([false, false]);
    expect(res.body[0].errors[0].statusCode).toBe('ALL_OR_NONE_OPERATION_ROLLED_BACK');
    expect(sb.org.count('Account')).toBe(before);

    const ids = (await conn.query<{ Id: string }>('SELECT Id FROM Opportunity LIMIT 2')).records.map((r) => r.Id);
    const got = await api('GET', `${V}/composite/sobjects/Opportunity?ids=${ids.join(',')},006000000000000AAA&fields=Id,Name`);
    expect(got.body.map((r: { Id?: string } | null) => r?.Id ?? null)).toEqual([...ids, null]);
    const many = await conn.sobject('Opportunity').retrieve(ids);
    expect(many.map((r) => r.Id)).toEqual(ids);
  });

  it('a composite or batch subrequest cannot nest another (however its path is spelled), and a CSV answer stays text', async () => {
    const nested = await api('POST', `${V}/composite/batch`, {
      batchRequests: [
        { method: 'POST', url: 'v62.0/compos%69te/batch', richInput: { batchRequests: [{ method: 'GET', url: 'v62.0/limits' }] } },
        { method: 'POST', url: 'v62.0/composite', richInput: { compositeRequest: [{ method: 'GET', url: `${V}/limits`, referenceId: 'l' }] } },
      ],
    });
    expect(nested.body.results.map((r: { statusCode: number; result: { errorCode: string }[] }) => [r.statusCode, r.result[0]!.errorCode])).toEqual([
      [400, 'INVALID_BATCH_REQUEST'],
      [400, 'INVALID_BATCH_REQUEST'],
    ]);
    const job = await api('POST', `${V}/jobs/query`, { operation: 'query', query: 'SELECT Id FROM Account LIMIT 1' });
    const csv = await api('POST', `${V}/composite/batch`, { batchRequests: [{ method: 'GET', url: `v62.0/jobs/query/${job.body.id}/results` }] });
    expect(csv.body.results[0]).toMatchObject({ statusCode: 200, result: expect.stringMatching(/^"Id"\n/) });
  });

  it('composite batch runs independent subrequests and says which failed', async () => {
    const id = (await conn.query<{ Id: string }>('SELECT Id FROM Opportunity LIMIT 1')).records[0]!.Id;
    const r = await api('POST', `${V}/composite/batch`, {
      batchRequests: [
        { method: 'PATCH', url: `v62.0/sobjects/Opportunity/${id}`, richInput: { Description: 'batched' } },
        { method: 'GET', url: `v62.0/sobjects/Opportunity/${id}?fields=Description` },
        { method: 'GET', url: 'v62.0/sobjects/Opportunity/006000000000000AAA' },
      ],
    });
    expect(r.body.hasErrors).toBe(true);
    expect(r.body.results.map((x: { statusCode: number }) => x.statusCode)).toEqual([204, 200, 404]);
    expect(r.body.results[1].result.Description).toBe('batched');
  });
});
