/**
 * The Dataverse sandbox against a client we did not write: dynamics-web-api (in a child process, see
 * web-api-client.ts) reads metadata, pages, counts, writes a `$batch`, updates with If-Match and follows a
 * change-tracking delta link; raw HTTPS requests check the URL decoding rules and the error shape.
 */
import { execFile } from 'node:child_process';
import https from 'node:https';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamicsSandbox, type DynamicsSandbox } from '../../../sandboxes/index.js';

type Step = { ok: true; value: Record<string, unknown> & { value?: Record<string, unknown>[] } } | { ok: false; status: number | null; code: string | null; message: string };

let sb: DynamicsSandbox;
let steps: Record<string, Step>;
let contract: string[];
let target: string;
let deleted: string;

/** A step's answer; a failed step fails the test with what the sandbox said. */
function ok(name: string): Record<string, unknown> & { value?: Record<string, unknown>[] } {
  const s = steps[name];
  if (!s?.ok) throw new Error(`${name} failed: ${JSON.stringify(s)}`);
  return s.value;
}

beforeAll(async () => {
  sb = await startDynamicsSandbox({ certDir: '.cosell/test-certs/dynamics365' });
  contract = Array.from({ length: 5 }, (_, i) => sb.org.insert('opportunities', { name: `Contract ${i}`, estimatedvalue: i }));
  sb.org.insert('opportunities', { name: 'Unrelated deal' });
  [target, deleted] = [contract[0]!, contract[1]!];
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/contract/dynamics365/web-api-client.ts'], {
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: sb.caFile,
      D365_URL: sb.url,
      D365_AUTHORITY: sb.authority,
      D365_CLIENT_ID: sb.credentials.clientId,
      D365_CLIENT_SECRET: sb.credentials.clientSecret,
      D365_TARGET_ID: target,
      D365_DELETE_ID: deleted,
    },
  });
  steps = JSON.parse(stdout) as Record<string, Step>;
}, 60_000);
afterAll(async () => {
  await sb?.close();
});

describe('dynamics-web-api against the sandbox', () => {
  it('reads the entity definitions, one of them, a picklist (also lower-cased), a lookup and a cast attribute collection', () => {
    expect(ok('entities').value).toContainEqual(expect.objectContaining({ LogicalName: 'systemuser', EntitySetName: 'systemusers' }));
    expect(ok('entity')).toMatchObject({ LogicalName: 'opportunity', EntitySetName: 'opportunities', PrimaryIdAttribute: 'opportunityid' });
    const labels = (name: string) =>
      ((ok(name).OptionSet as { Options: { Label: { UserLocalizedLabel: { Label: string } } }[] }).Options ?? []).map((o) => o.Label.UserLocalizedLabel.Label);
    expect(labels('picklist')).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    expect(ok('picklist').RequiredLevel).toMatchObject({ Value: 'None' });
    expect(Object.keys(sb.stats().byEndpoint)).toContain('GET /api/data/v9.2/entitydefinitions(…)/attributes(…)/microsoft.dynamics.crm.picklistattributemetadata');
    expect(labels('picklistLowerCase')).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    expect(ok('lookup')).toMatchObject({ LogicalName: 'parentaccountid', Targets: ['account'], RequiredLevel: { Value: 'Recommended' } });
    const picklists = ok('picklists').value!;
    expect(picklists.map((a) => a.LogicalName).sort()).toEqual(['cosell_howcanmicrosofthelp', 'salesstage']);
    expect(picklists.every((a) => a['@odata.type'] === '#Microsoft.Dynamics.CRM.PicklistAttributeMetadata')).toBe(true);
  });

  it('pages by odata.maxpagesize, counts every match whatever $top, and answers $count', () => {
    const first = ok('firstPage');
    expect(first.value).toHaveLength(2);
    expect(first.oDataCount).toBe(5);
    expect(first.oDataNextLink).toMatch(/\$skiptoken=/);
    expect(ok('secondPage').value!.map((r) => r.name)).toEqual(['Contract 2', 'Contract 3']);
    expect(ok('all').value!.map((r) => r.name)).toEqual(['Contract 0', 'Contract 1', 'Contract 2', 'Contract 3', 'Contract 4']);
    const top = ok('topWithCount');
    expect(top.value).toHaveLength(1);
    expect(top.oDataCount).toBe(5);
    expect(steps.countFiltered).toEqual({ ok: true, value: 5 });
    expect(steps.countAll).toEqual({ ok: true, value: 6 });
  });

  it('runs a $batch change set, updates with the current ETag and gets a Dataverse 412 for a stale one', () => {
    const batch = steps.batch;
    const ids = batch?.ok ? (batch.value as unknown as string[]) : [];
    expect(ids.map((id) => sb.org.get('opportunities', id).name)).toEqual(['Contract batch A', 'Contract batch B']);
    expect(steps.updateCurrent).toEqual({ ok: true, value: true });
    expect(sb.org.get('opportunities', target).estimatedvalue).toBe(4242);
    expect(steps.updateStale).toMatchObject({ ok: false, status: 412, code: '0x80060882' });
    // The library sends `Content-Type: application/json` with its body-less DELETE.
    expect(steps.delete).toEqual({ ok: true, value: true });
    expect(sb.org.all('opportunities').some((r) => r.opportunityid === deleted)).toBe(false);
  });

  it('follows the delta link: exactly the created, updated and deleted rows since tracking began', () => {
    const delta = ok('delta').value!;
    const changed = delta.filter((r) => !String(r['@odata.context'] ?? '').endsWith('$deletedEntity')).map((r) => r.name);
    expect(changed.sort()).toEqual(['Contract 0', 'Contract batch A', 'Contract batch B']);
    expect(delta.filter((r) => String(r['@odata.context']).endsWith('$deletedEntity')).map((r) => r.id)).toEqual([deleted]);
    expect(ok('delta').oDataDeltaLink).toMatch(/\$deltatoken=/);
  });
});

describe('URL rules and error shape', () => {
  let token: string;
  beforeAll(async () => {
    const res = await request(
      'POST',
      `${sb.authority}/oauth2/v2.0/token`,
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sb.credentials.clientId,
        client_secret: sb.credentials.clientSecret,
        scope: `${sb.url}/.default`,
      }).toString(),
    );
    token = (JSON.parse(res.body) as { access_token: string }).access_token;
  });

  function request(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, ca: sb.caPem, headers: { ...headers, ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const api = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    request(method, `${sb.url}/api/data/v9.2/${path}`, { Authorization: `Bearer ${token}`, ...headers }, body);
  const errorOf = (text: string) => JSON.parse(text) as { error: { code: string; message: string } };

  it('decodes percent-encoded key segments and matches entity sets case-insensitively', async () => {
    const encoded = await api('GET', 'EntityDefinitions(LogicalName=%27opportunity%27)/Attributes(LogicalName=%27statuscode%27)?$select=LogicalName');
    expect(encoded.status).toBe(200);
    expect(JSON.parse(encoded.body)).toMatchObject({ LogicalName: 'statuscode' });
    const set = await api('GET', `Opportunities(${target})?$select=name`);
    expect(set.status).toBe(200);
    expect(JSON.parse(set.body)).toMatchObject({ name: 'Contract 0' });
  });

  it('answers every error as { error: { code, message } }: empty JSON DELETE, bad JSON, unknown entity, POST on $count, unknown route', async () => {
    const victim = sb.org.insert('opportunities', { name: 'Delete me' });
    const del = await api('DELETE', `opportunities(${victim})`, { 'Content-Type': 'application/json' });
    expect(del.status).toBe(204);
    const gone = await api('DELETE', `opportunities(${victim})`, { 'Content-Type': 'application/json' });
    expect(gone.status).toBe(404);
    expect(errorOf(gone.body).error.code).toBe('0x80040217');
    const badJson = await api('PATCH', `opportunities(${target})`, { 'Content-Type': 'application/json' }, '{"name": ');
    expect(badJson.status).toBe(400);
    expect(errorOf(badJson.body).error).toMatchObject({ code: '0x80048d19', message: expect.stringMatching(/not valid JSON/) });
    const entity = await api('GET', "EntityDefinitions(LogicalName='nosuchtable')");
    expect(entity.status).toBe(404);
    expect(errorOf(entity.body).error.message).toMatch(/nosuchtable/);
    const count = sb.org.count('opportunities');
    const postCount = await api('POST', 'opportunities/$count', { 'Content-Type': 'application/json' }, '{}');
    expect(postCount.status).toBe(405);
    expect(errorOf(postCount.body).error.code).toBe('0x80060888');
    expect(sb.org.count('opportunities')).toBe(count);
    const route = await request('GET', `${sb.url}/nowhere`);
    expect(route.status).toBe(404);
    expect(errorOf(route.body).error.code).toBe('0x80060888');
  });
});
