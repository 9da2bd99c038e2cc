/**
 * The API floor: a minimal script issuing exactly the calls a perfect sync needs — query pages, one create per
 * deal (or one PATCH per changed deal), write-backs in collections of 200 (Salesforce) or $batch (Dataverse) —
 * with the same concurrency as the sync. Its time, CPU and call count are the baselines of B1 and B3. Every
 * call is a bare `http(s).request` on Node's keep-alive agent: the cheapest client Node offers (fetch costs
 * about three times its CPU per call here), so the floor's CPU is a floor too.
 */
import http from 'node:http';
import https from 'node:https';
import { jwtAssertion } from '../connectors/salesforce/index.js';
import { loadCompiledMapping } from '../src/mapping/index.js';
import type { Env } from './setup.js';

export interface FloorResult {
  ms: number;
  /** This process's CPU (user + system) over the timed part, ms. */
  cpuMs: number;
  calls: number;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function referralBody(id: string, amount: number) {
  return {
    name: `Deal ${id}`,
    externalReferenceId: id,
    type: 'Independent',
    customerProfile: { name: 'Contoso', address: { country: 'NL' } },
    consent: { consentToShareReferralWithMicrosoftSellers: false },
    details: { dealValue: amount, currency: 'EUR', closingDateTime: '2027-01-01T00:00:00Z', requirements: { solutions: [{ id: 'SOL-1' }] } },
    team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phoneNumber: '+31205550100' }],
    salesStage: 'Qualify',
  };
}

/** One request (https trusting the sandbox CA when given one); the answer as text. */
function request(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
  ca?: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? https.request : http.request;
    const req = send(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) }, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function d365Token(e: Env): Promise<string> {
  const d = e.d365!;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: d.credentials.clientId,
    client_secret: d.credentials.clientSecret,
    scope: `${d.url}/.default`,
  }).toString();
  const res = await request(`${d.authority}/oauth2/v2.0/token`, 'POST', { 'Content-Type': 'application/x-www-form-urlencoded' }, form, d.caPem);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

async function sfToken(e: Env): Promise<string> {
  const c = e.sf!.credentials;
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(c, c.loginUrl) }).toString();
  const res = await request(`${c.loginUrl}/services/oauth2/token`, 'POST', { 'Content-Type': 'application/x-www-form-urlencoded' }, form);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

const getJson = async <T>(url: string, headers: Record<string, string>): Promise<T> => JSON.parse((await request(url, 'GET', headers)).body) as T;

/** The CRM fields a perfect sync must read: exactly those the sync reads (the mapping's, the referral id, the status line). */
function fieldsToRead(e: Env): string[] {
  const m = loadCompiledMapping(e.mapping);
  return [...new Set([...m.fieldsToRead, m.referralIdField, ...(m.statusField ? [m.statusField.field] : [])])];
}

/** Dataverse: plain columns in $select, related ones through $expand of their navigation property. */
function dataverseQuery(fields: string[]): string {
  const direct = new Set(['opportunityid', 'modifiedon']);
  const related = new Map<string, string[]>();
  for (const f of fields) {
    const [head, ...rest] = f.split('.');
    if (rest.length === 0) direct.add(head!);
    else related.set(head!, [...(related.get(head!) ?? []), rest.join('.')]);
  }
  const expand = [...related].map(([nav, cols]) => `${nav}($select=${cols.join(',')})`).join(',');
  return `$select=${[...direct].join(',')}${expand ? `&$expand=${expand}` : ''}`;
}

const storeHeaders = (e: Env) => ({ Authorization: `Bearer ${e.store.apiKey}`, 'Content-Type': 'application/json' });

/** B1 floor (all records) or B3 floor (`changesOnly`: the first `n` records changed, PATCHed). */
export async function apiFloor(e: Env, n: number, concurrency: number, opts: { changesOnly?: boolean } = {}): Promise<FloorResult> {
  let calls = 0;
  let ids: { id: string; amount: number }[] = [];
  const since = new Date(Date.now() - 1000).toISOString();
  if (opts.changesOnly) {
    // Untimed: make the same 1 % change the sync will see.
    await e.touch(n);
  }
  const refIds = new Map<string, string>();
  if (opts.changesOnly) {
    // Untimed too: the referral ids a perfect sync would have in its state.
    let url: string | null = `${e.store.url}/referrals?$top=100`;
    while (url) {
      const page = (await getJson(url, storeHeaders(e))) as { value: { id: string; externalReferenceId: string }[]; '@odata.nextLink'?: string };
      for (const r of page.value) refIds.set(r.externalReferenceId, r.id);
      url = page['@odata.nextLink'] ?? null;
    }
  }
  const fields = fieldsToRead(e);
  const cpu = process.cpuUsage();
  const start = performance.now();
  if (e.sf) {
    const token = await sfToken(e);
    calls++;
    const auth = { Authorization: `Bearer ${token}` };
    const where = opts.changesOnly ? `WHERE SystemModstamp >= ${since}` : 'WHERE Sync_with_Partner_Center__c = true';
    let res = await getJson<{ records: { Id: string; Amount: number }[]; nextRecordsUrl?: string }>(
      `${e.sf.url}/services/data/v62.0/queryAll?q=${encodeURIComponent(`SELECT ${['Id', 'SystemModstamp', 'IsDeleted', ...fields].join(', ')} FROM Opportunity ${where} ORDER BY SystemModstamp, Id`)}`,
      auth,
    );
    calls++;
    for (;;) {
      ids.push(...res.records.map((r) => ({ id: r.Id, amount: r.Amount })));
      if (!res.nextRecordsUrl) break;
      res = await getJson<typeof res>(`${e.sf.url}${res.nextRecordsUrl}`, auth);
      calls++;
    }
  } else {
    const d = e.d365!;
    const token = await d365Token(e);
    calls++;
    const headers = { Authorization: `Bearer ${token}`, Prefer: 'odata.maxpagesize=2000', Accept: 'application/json' };
    const filter = opts.changesOnly ? `&$filter=${encodeURIComponent(`modifiedon ge ${since.slice(0, 19)}Z`)}` : '';
    let url: string | null = `${d.url}/api/data/v9.2/opportunities?${dataverseQuery(fields)}${filter}`;
    while (url) {
      const res = await request(url, 'GET', headers, undefined, d.caPem);
      calls++;
      const page = JSON.parse(res.body) as { value: { opportunityid: string; estimatedvalue: number }[]; '@odata.nextLink'?: string };
      ids.push(...page.value.map((r) => ({ id: r.opportunityid, amount: r.estimatedvalue })));
      url = page['@odata.nextLink'] ?? null;
    }
  }
  ids = ids.slice(0, n);
  const created = new Map<string, string>();
  await pool(ids, concurrency, async ({ id, amount }) => {
    if (opts.changesOnly) {
      const refId = refIds.get(id);
      if (!refId) return;
      await request(`${e.store.url}/referrals/${refId}`, 'PATCH', storeHeaders(e), JSON.stringify([{ op: 'replace', path: '/details/dealValue', value: amount }]));
    } else {
      const res = await request(`${e.store.url}/referrals`, 'POST', storeHeaders(e), JSON.stringify(referralBody(id, amount)));
      created.set(id, (JSON.parse(res.body) as { id: string }).id);
    }
    calls++;
  });
  if (!opts.changesOnly) {
    // Write back the referral id (and status) in the CRM's batch unit.
    const chunks: { id: string; ref: string }[][] = [];
    const all = [...created.entries()].map(([id, ref]) => ({ id, ref }));
    const size = e.sf ? 200 : 1000;
    for (let i = 0; i < all.length; i += size) chunks.push(all.slice(i, i + size));
    if (e.sf) {
      const token = await sfToken(e);
      calls++;
      await pool(chunks, concurrency, async (chunk) => {
        await request(
          `${e.sf!.url}/services/data/v62.0/composite/sobjects`,
          'PATCH',
          { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          JSON.stringify({
            allOrNone: false,
            records: chunk.map((c) => ({ attributes: { type: 'Opportunity' }, id: c.id, Referral_Id__c: c.ref, Referral_Status__c: 'Active' })),
          }),
        );
        calls++;
      });
    } else {
      const d = e.d365!;
      const token = await d365Token(e);
      calls++;
      await pool(chunks, concurrency, async (chunk) => {
        const boundary = `batch_${Math.random().toString(36).slice(2)}`;
        const body = `${chunk
          .map(
            (c) =>
              `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nPATCH /api/data/v9.2/opportunities(${c.id}) HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: *\r\n\r\n${JSON.stringify({ cosell_referralid: c.ref, cosell_referralstatus: 'Active' })}`,
          )
          .join('\r\n')}\r\n--${boundary}--\r\n`;
        await request(
          `${d.url}/api/data/v9.2/$batch`,
          'POST',
          { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/mixed; boundary=${boundary}`, Prefer: 'odata.continue-on-error' },
          body,
          d.caPem,
        );
        calls++;
      });
    }
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, calls };
}
