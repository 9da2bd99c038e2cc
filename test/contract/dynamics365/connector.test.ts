/**
 * The Dataverse connector against the sandbox over HTTPS, with msal-node for real (the sandbox's CA trusted
 * explicitly), plus plain requests as Microsoft's Web API docs write them.
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmConnector, CrmRecord } from '../../../connectors/connector.js';
import type { DynamicsSandbox } from '../../../sandboxes/index.js';
import { startDataverse, type Dataverse } from '../../helpers/dataverse.js';

let dataverse: Dataverse;
let sb: DynamicsSandbox;
let c: CrmConnector;
const FIELDS = [
  'name',
  'estimatedvalue',
  'salesstage',
  'statecode',
  'parentaccountid.address1_country',
  'owninguser.internalemailaddress',
  'cosell_syncwithpartnercenter',
  'cosell_referralid',
];
const elig = { flagField: 'cosell_syncwithpartnercenter', linkedField: 'cosell_referralid' };

beforeAll(async () => {
  dataverse = await startDataverse();
  ({ sb, c } = dataverse);
});
afterAll(async () => {
  await dataverse.close();
});

async function pull(cursor: string | null, pageSize = 700) {
  const records: CrmRecord[] = [];
  let next = cursor;
  let pages = 0;
  let fullResync = false;
  for await (const p of c.pull(cursor, { fields: FIELDS, eligibility: elig, pageSize })) {
    pages++;
    records.push(...p.records);
    if (p.cursor) next = p.cursor;
    fullResync ||= p.fullResync === true;
  }
  return { records, cursor: next, pages, fullResync };
}

function httpsGet(path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        `${sb.url}${path}`,
        { ca: sb.caPem, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
      .on('error', reject);
  });
}

describe('dynamics 365 connector', () => {
  let ids: string[] = [];
  let cursor: string | null = null;

  it('an initial pull of 5,000 rows comes in pages with the related account and owner, nothing missed or repeated', async () => {
    const account = sb.org.insert('accounts', { name: 'Contoso', address1_country: 'Netherlands' });
    const owner = sb.org.insert('systemusers', { firstname: 'Ann', lastname: 'Lee', internalemailaddress: 'ann@partner.example' });
    ids = Array.from({ length: 5000 }, (_, i) =>
      sb.org.insert('opportunities', {
        name: `Deal ${i}`,
        estimatedvalue: 1000 + i,
        'parentaccountid@odata.bind': `/accounts(${account})`,
        'owninguser@odata.bind': `/systemusers(${owner})`,
        cosell_syncwithpartnercenter: true,
      }),
    );
    const r = await pull(null);
    expect(r.records).toHaveLength(5000);
    expect(new Set(r.records.map((x) => x.id)).size).toBe(5000);
    expect(r.pages).toBe(Math.ceil(5000 / 700));
    expect(r.records[0]!.fields).toMatchObject({ parentaccountid: { address1_country: 'Netherlands' }, owninguser: { internalemailaddress: 'ann@partner.example' } });
    cursor = r.cursor;
  });

  it('a delta brings updates and deletes', async () => {
    sb.org.update('opportunities', ids[0]!, { estimatedvalue: 1 });
    sb.org.remove('opportunities', ids[1]!);
    const r = await pull(cursor);
    expect(r.records.map((x) => [x.id, x.deleted])).toEqual([
      [ids[0], false],
      [ids[1], true],
    ]);
    cursor = r.cursor;
  });

  it('an expired delta link falls back to a full resync, flagged so the engine reconciles (no duplicates)', async () => {
    sb.clock.advanceDays(8);
    const r = await pull(cursor, 5000);
    expect(r.fullResync).toBe(true);
    expect(r.records.filter((x) => !x.deleted)).toHaveLength(4999);
    expect(new Set(r.records.map((x) => x.id)).size).toBe(r.records.length);
  });

  it('a $batch write-back: one failing row does not fail the rest; a stale version fails per record; Win/Lose close rows', async () => {
    const res = await c.writeBack([
      { id: ids[2]!, fields: { cosell_referralid: 'ref-2' } },
      { id: ids[3]!, fields: { estimatedvalue: 'not money' } },
      { id: ids[4]!, fields: { cosell_referralid: 'ref-4' }, version: 'W/"1"' },
      { id: ids[5]!, fields: {}, close: { outcome: 'won' } },
      { id: ids[6]!, fields: {}, close: { outcome: 'lost' } },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, false, false, true, true]);
    expect(res[2]!.code).toBe('preconditionFailed');
    expect(sb.org.get('opportunities', ids[2]!).cosell_referralid).toBe('ref-2');
    expect([sb.org.get('opportunities', ids[5]!).statecode, sb.org.get('opportunities', ids[6]!).statecode]).toEqual([1, 2]);
  });

  it('a closed row still takes column writes (as the Web API allows); a close of a row already closed is RECORD_CLOSED; an update cannot close', async () => {
    const res = await c.writeBack([
      { id: ids[5]!, fields: { cosell_referralstatus: 'Closed', cosell_referralsubstatus: 'Won' } },
      { id: ids[6]!, fields: {}, close: { outcome: 'won' } },
      { id: ids[8]!, fields: { statecode: 1, statuscode: 3 } },
    ]);
    expect(res.map((r) => r.ok)).toEqual([true, false, false]);
    expect(sb.org.get('opportunities', ids[5]!)).toMatchObject({ statecode: 1, cosell_referralstatus: 'Closed', cosell_referralsubstatus: 'Won' });
    expect(res[1]!.code).toBe('RECORD_CLOSED');
    expect(sb.org.get('opportunities', ids[6]!).statecode).toBe(2);
    expect(res[2]!.message).toMatch(/WinOpportunity/);
    expect(sb.org.get('opportunities', ids[8]!).statecode).toBe(0);
  });

  it('a 429 is honoured: the call waits for Retry-After and then succeeds', async () => {
    sb.faults.configure({ rate429: 1, retryAfterSeconds: 1, seed: 1 });
    const t0 = Date.now();
    setTimeout(() => sb.faults.reset(), 300);
    const rows = await c.read([ids[7]!], ['name']);
    expect(rows.map((r) => r.fields.name)).toEqual(['Deal 7']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('escapes values placed in OData queries', async () => {
    sb.org.insert('opportunities', { name: "O'Brien's deal", cosell_referralid: "ref-O'Brien" });
    expect((await c.findBy('cosell_referralid', ["ref-O'Brien"], ['name'])).map((r) => r.fields.name)).toEqual(["O'Brien's deal"]);
    expect(await c.findBy('cosell_referralid', ["x' or name ne '"], ['name'])).toEqual([]);
  });

  it('answers requests written as in the Dataverse Web API docs', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sb.credentials.clientId,
      client_secret: sb.credentials.clientSecret,
      scope: `${sb.url}/.default`,
    }).toString();
    const token = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${sb.authority}/oauth2/v2.0/token`,
        { method: 'POST', ca: sb.caPem, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve((JSON.parse(body) as { access_token: string }).access_token));
        },
      );
      req.on('error', reject);
      req.end(form);
    });
    const accounts = await httpsGet('/api/data/v9.2/accounts?$select=name&$top=3', token);
    expect(accounts.status).toBe(200);
    expect((JSON.parse(accounts.body) as { value: unknown[] }).value.length).toBeGreaterThan(0);
    const who = await httpsGet('/api/data/v9.2/WhoAmI', token);
    expect(JSON.parse(who.body)).toHaveProperty('UserId');
    const meta = await httpsGet(
      "/api/data/v9.2/EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='salesstage')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
      token,
    );
    expect((JSON.parse(meta.body) as { OptionSet: { Options: unknown[] } }).OptionSet.Options).toHaveLength(4);
    const noToken = await httpsGet('/api/data/v9.2/opportunities?$top=1', 'nope');
    expect(noToken.status).toBe(401);
  });
});
