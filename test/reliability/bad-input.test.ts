/**
 * The bad-input corpus: broken config and mapping files, bad CRM values, hostile strings, a 1 MB field,
 * corrupt API answers. Each gives a clear error naming its source, and every other record still syncs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { mappingSchema, validateMappingText } from '../../src/mapping/index.js';
import { ConfigError, loadConfig } from '../../src/runtime/index.js';
import { parse } from 'yaml';
import { startStack, type Stack } from '../e2e/stack.js';

const bad = (name: string) => `test/fixtures/bad/${name}`;

describe('config files', () => {
  it.each([
    ['config-malformed.yaml', /config-malformed\.yaml:\d+:\d+ .*YAML syntax/],
    ['config-unknown-key.yaml', /config-unknown-key\.yaml:9:5 connections\.0: unknown key 'schedual'/],
    ['config-wrong-type.yaml', /config-wrong-type\.yaml:5:\d+ referrals\.rate\.concurrency: expected number/],
    ['config-secret-in-file.yaml', /referrals\.auth\.passwordEnv: expected the NAME of an environment variable/],
  ])('%s is rejected at start with the file, position and key path', (file, message) => {
    expect(() => loadConfig(bad(file))).toThrow(ConfigError);
    expect(() => loadConfig(bad(file))).toThrow(message);
    expect(() => loadConfig(bad(file))).not.toThrow('hunter2');
  });

  it('a wrong type and an out-of-range value in one file are both reported', () => {
    const problems = (): string[] => {
      try {
        loadConfig(bad('config-wrong-type.yaml'));
      } catch (e) {
        if (e instanceof ConfigError) return e.problems.map((p) => p.path).sort();
        throw e;
      }
      throw new Error('config-wrong-type.yaml was accepted');
    };
    expect(problems()).toEqual(['connections.0.crm.sandbox.seed', 'referrals.rate.concurrency']);
  });
});

describe('mapping files', () => {
  it('every mistake of a broken mapping is reported at once with file:line:column', () => {
    const r = validateMappingText(readFileSync(bad('mapping-mistakes.yaml'), 'utf8'), 'mapping-mistakes.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.line}:${p.column} ${p.path}`).sort()).toEqual(
      ['10:1 writeBack.referralId', '5:18 stages.map.Prospecting', '8:36 fields.value.convert', '9:57 fields.customer.country'].sort(),
    );
  });
});

describe('bad CRM records among good ones', () => {
  let s: Stack;
  afterEach(async () => {
    await s?.close();
  });

  it('invalid e-mails and phones, missing values, unmapped stages and hostile strings: clear ✖ lines, the rest syncs', async () => {
    const base = parse(readFileSync('mappings/salesforce.yaml', 'utf8')) as { stages: { map: Record<string, string> } };
    delete base.stages.map['Perception Analysis'];
    s = await startStack('salesforce', { mapping: mappingSchema.parse(base) });
    const sb = s.crm;
    const good = sb.create({ name: 'Good deal' });
    const hostile = sb.create({ name: `O'Brien's "Deal" \\ ' OR 1=1 --`, notes: `'; DROP TABLE referrals; --` });
    const noAmount = sb.create({ name: 'No amount' });
    const badContact = sb.create({ name: 'Bad contact', help: 'ProofOfConceptOrDemo', visible: true });
    const unmapped = sb.create({ name: 'Unmapped stage' });
    // Values the adapter doesn't expose go in through the connector's own write path.
    const sandboxUpdate = async (id: string, fields: Record<string, unknown>) => {
      const res = await s.connector.writeBack([{ id, fields }]);
      expect(res[0]?.ok).toBe(true);
    };
    await sandboxUpdate(noAmount, { Amount: null });
    await sandboxUpdate(badContact, { Customer_Contact_Email__c: 'not-an-email', Customer_Contact_Phone__c: 'call me' });
    await sandboxUpdate(unmapped, { StageName: 'Perception Analysis' });

    const c = await s.sync();
    expect(c.counts.created).toBe(2);
    expect(String(s.crm.field(good, 'statusLine'))).toMatch(/^✔/);
    expect((await s.referralFor(hostile)).name).toBe(`O'Brien's "Deal" \\ ' OR 1=1 --`);
    expect(String(s.crm.field(noAmount, 'statusLine'))).toMatch(/^✖ value: Amount is empty/);
    expect(String(s.crm.field(badContact, 'statusLine'))).toMatch(
      /^✖ contact\.email: Customer_Contact_Email__c: 'not-an-email' is not an e-mail address; contact\.phone: Customer_Contact_Phone__c: 'call me' is not a phone number/,
    );
    expect(String(s.crm.field(unmapped, 'statusLine'))).toMatch(/^✖ stage: StageName 'Perception Analysis' is not mapped/);
    expect((await s.state.issues('salesforce')).map((i) => i.recordKey).sort()).toEqual([`crm:${badContact}`, `crm:${noAmount}`, `crm:${unmapped}`].sort());
  });

  it('a 1 MB text field: the store refuses that one record (413), the rest syncs', async () => {
    s = await startStack('dynamics365');
    const good = s.crm.create({ name: 'Fine' });
    const huge = s.crm.create({ name: 'Huge', notes: 'x'.repeat(1024 * 1024 + 10) });
    const c = await s.sync();
    expect(c.counts.created).toBe(1);
    expect(s.crm.field(good, 'referralId')).toBeTruthy();
    const issue = (await s.state.issues('dynamics365')).find((i) => i.recordKey === `crm:${huge}`);
    expect(issue?.message).toMatch(/too large|payloadTooLarge|413/i);
  });

  it('non-JSON and truncated answers from the referrals API: that record gets an issue naming the call, the rest syncs', async () => {
    let proxy: http.Server | null = null;
    s = await startStack('salesforce', {
      referralsUrl: async (storeUrl) => {
        const up = new URL(storeUrl);
        proxy = http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (req.method === 'POST' && body.includes('CORRUPT-TRUNCATED')) {
              res.writeHead(201, { 'Content-Type': 'application/json' });
              return res.end('{"id":"abc","name":"CORR');
            }
            if (req.method === 'POST' && body.includes('CORRUPT-HTML')) {
              res.writeHead(200, { 'Content-Type': 'text/html' });
              return res.end('<html><body>Gateway says hi</body></html>');
            }
            const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
              res.writeHead(r.statusCode ?? 502, r.headers);
              r.pipe(res);
            });
            fwd.end(body);
          });
        });
        await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
        return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${up.pathname}`;
      },
    });
    try {
      const good = s.crm.create({ name: 'Fine deal' });
      const truncated = s.crm.create({ name: 'CORRUPT-TRUNCATED' });
      const html = s.crm.create({ name: 'CORRUPT-HTML' });
      const c = await s.sync();
      expect(c.counts.created).toBe(1);
      expect(s.crm.field(good, 'referralId')).toBeTruthy();
      const issues = await s.state.issues('salesforce');
      expect(issues.find((i) => i.recordKey === `crm:${truncated}`)?.message).toMatch(/create referral for .*not valid JSON \(truncated\?\)/);
      expect(issues.find((i) => i.recordKey === `crm:${html}`)?.message).toMatch(/create referral for .*expected JSON, got text\/html/);
    } finally {
      await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    }
  });
});
