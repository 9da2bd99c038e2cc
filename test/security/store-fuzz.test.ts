/**
 * Property-based attacks on a live store (fast-check): generated create bodies, JSON Patches and `$filter`s,
 * each property bounded in time (FUZZ_MS). Invariants: never a 5xx; a refused request changes nothing (same
 * ETag); another tenant's data never changes and never shows; Object.prototype untouched; the server keeps
 * answering.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, deal, startTestStore, type Client, type TestStore } from '../contract/store/store-harness.js';

const FUZZ_MS = 5_000;
const BATCH = 8;
const FUZZ = { numRuns: 100_000, interruptAfterTimeLimit: FUZZ_MS, markInterruptAsFailure: false } as const;

let t: TestStore;
let attacker: { id: string; api: Client };
let victim: { id: string; etag: string; body: unknown };
const protoBaseline = Object.getOwnPropertyNames(Object.prototype).sort();

/** The victim's referral exactly as first read, and Object.prototype as at start. */
async function untouched(): Promise<void> {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBaseline);
  const v = await t.api.get(`/referrals/${victim.id}`);
  expect(v.status).toBe(200);
  expect(v.headers.get('etag')).toBe(victim.etag);
  expect(v.body).toEqual(victim.body);
}

beforeAll(async () => {
  t = await startTestStore();
  const org = await t.admin.post('/_admin/organizations', { name: 'Fuzzer Inc' });
  attacker = { id: org.body.id, api: client(t.store.url, org.body.apiKey) };
  const v = await t.api.post('/referrals', deal({ externalReferenceId: 'VICTIM-FUZZ', name: 'Victim deal' }));
  victim = { id: v.body.id, etag: v.headers.get('etag')!, body: (await t.api.get(`/referrals/${v.body.id}`)).body };
});
afterAll(async () => t.close());

/** Set `value` at a dotted path as own properties (a `__proto__` key becomes a real member, as JSON.parse makes it). */
function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = doc;
  for (const k of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, k) && node[k] !== null && typeof node[k] === 'object' ? (node[k] as Record<string, unknown>) : {};
    Object.defineProperty(node, k, { value: next, enumerable: true, writable: true, configurable: true });
    node = next;
  }
  Object.defineProperty(node, keys.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
}

const FIELDS = [
  'name', 'externalReferenceId', 'status', 'substatus', 'type', 'qualification', 'salesStage', 'favorite', 'statusReason',
  'consent', 'consent.consentToShareReferralWithMicrosoftSellers', 'consent.consentToShareInfoWithOthers',
  'details', 'details.dealValue', 'details.currency', 'details.closingDateTime', 'details.notes', 'details.requirements.solutions',
  'customerProfile', 'customerProfile.name', 'customerProfile.address.country', 'customerProfile.team', 'team', 'team.0.email',
  'inviteContext', 'inviteContext.assistanceRequestCode', 'inviteContext.invitedBy', 'target', 'engagementId', 'id',
  'organizationId', 'organizationName', 'trackingInfo.microsoftMsxId', 'stageHistory', 'dealType', 'acceptedDateTime',
  'closedDateTime', 'expirationDateTime', 'createdDateTime', 'links', 'eTag',
  '__proto__', '__proto__.polluted', 'constructor', 'constructor.prototype.polluted', 'details.__proto__.polluted', 'prototype',
];
const field = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(
    null, '', 'Won', 'Closed', 'Shared', 'Independent', 'Close', 'msft', 'US', 'XX', 'USD', true, false, 0, -1, 2 ** 53 + 2, 1e308,
    '0000-01-01T00:00:00Z', '2026-06-30T00:00:00Z', 'not a date', {}, [], [{}], { id: 'victim' }, [{ id: 'SA-1', type: 'SolutionAssessment' }],
    { microsoftMsxId: 'MSX' }, [{ firstName: 'A', lastName: 'B', phoneNumber: '+1 425 555 0100', email: 'a@b.example' }],
  ),
);

describe('fuzzing the store (bounded in time)', () => {
  it('create: generated bodies never 5xx and never land in another organization', async () => {
    let runs = 0;
    await fc.assert(
      // A batch of BATCH bodies per run, sent at once: more inputs per second, and concurrency for free.
      fc.asyncProperty(fc.array(fc.tuple(fc.array(fc.tuple(field, value), { maxLength: 4 }), fc.boolean()), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        runs += batch.length;
        await Promise.all(
          batch.map(async ([edits, fromScratch]) => {
            const body: Record<string, unknown> = fromScratch ? {} : JSON.parse(JSON.stringify(deal()));
            for (const [path, v] of edits) setPath(body, path, v);
            const res = await attacker.api.post('/referrals', JSON.stringify(body));
            expect(res.status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
            if (res.status === 201) expect(res.body.organizationId).toBe(attacker.id);
            else expect(res.body.error?.code, JSON.stringify(res.body)).toEqual(expect.any(String));
          }),
        );
      }),
      FUZZ,
    );
    console.info(`fuzz create: ${runs} bodies`);
    expect(runs).toBeGreaterThan(100);
    await untouched();
  });

  it('JSON Patch: never 5xx; a refused patch leaves the ETag as it was; no prototype is touched', async () => {
    let target = await attacker.api.post('/referrals', deal());
    let current = { id: target.body.id as string, etag: target.headers.get('etag')! };
    const pointer = fc.oneof(
      { weight: 4, arbitrary: field.map((f) => `/${f.split('.').join('/')}`) },
      { weight: 1, arbitrary: fc.constantFrom('', '/', '/team/-', '/team/0', '/team/99', '/details/requirements/solutions/-', '/~1', '/~0', '/a~2b', '/__proto__/org', '/Consent/ConsentToShareReferralWithMicrosoftSellers') },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
    const op = fc.record(
      { op: fc.constantFrom('add', 'replace', 'remove', 'move', 'copy', 'test', 'REPLACE', ''), path: pointer, value, from: pointer },
      { requiredKeys: ['op', 'path'] },
    );
    // Plausible edits too, so the fuzz also walks accepted updates (and the ETag moves).
    const plausible = fc.oneof(
      fc.record({ op: fc.constant('replace'), path: fc.constant('/name'), value: fc.string({ minLength: 1, maxLength: 20 }) }),
      fc.record({ op: fc.constant('replace'), path: fc.constant('/details/notes'), value: fc.string({ maxLength: 20 }) }),
      fc.record({ op: fc.constant('replace'), path: fc.constant('/favorite'), value: fc.boolean() }),
      fc.record({ op: fc.constant('replace'), path: fc.constant('/details/dealValue'), value: fc.integer({ min: -5, max: 2 ** 31 }) }),
      fc.record({ op: fc.constant('replace'), path: fc.constant('/salesStage'), value: fc.constantFrom('Qualify', 'Develop', 'Propose', 'Close', 'Won', null) }),
    );
    const patchBody = fc.oneof(
      { weight: 4, arbitrary: fc.array(op, { minLength: 1, maxLength: 4 }) },
      { weight: 3, arbitrary: fc.array(fc.oneof(plausible, op), { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
    let runs = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(patchBody, async (ops) => {
        runs++;
        const res = await attacker.api.patch(`/referrals/${current.id}`, JSON.stringify(ops), { 'If-Match': current.etag, Prefer: 'return=representation' });
        expect(res.status, `${JSON.stringify(ops)} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status < 300) {
          accepted++;
          current.etag = res.headers.get('etag')!;
          expect(res.body.organizationId).toBe(attacker.id);
          if (res.body.status === 'Closed') {
            target = await attacker.api.post('/referrals', deal());
            current = { id: target.body.id, etag: target.headers.get('etag')! };
          }
        } else {
          const after = await attacker.api.get(`/referrals/${current.id}`);
          expect(after.headers.get('etag'), `refused ${JSON.stringify(ops)} changed the referral`).toBe(current.etag);
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBaseline);
      }),
      FUZZ,
    );
    console.info(`fuzz JSON Patch: ${runs} patches, ${accepted} accepted`);
    expect(runs).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(0);
    await untouched();
  });

  it("$filter: 200 with only the caller's own referrals, or 400 invalidRequest/unsupportedFilter — never a 5xx", async () => {
    const prop = fc.constantFrom(
      'name', 'status', 'substatus', 'id', 'externalReferenceId', 'organizationId', 'engagementId', 'createdDateTime', 'updatedDateTime',
      'details/dealValue', 'details/closingDateTime', 'customerProfile/address/country', 'Status', 'favorite', 'dealType', 'team',
      'constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope', '$it', '@p', 't/email',
    );
    const lit = fc.oneof(
      fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/'/g, "''")}'`),
      fc.integer().map(String),
      fc.constantFrom('null', 'true', 'false', '2026-01-01', '2026-01-01T00:00:00Z', '1.5e400', "'2026-13-45'", `'${victim.id}'`, "'VICTIM-FUZZ'", "duration'P1D'", '-0', "'"),
    );
    const cmp = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'has', 'add', 'in', 'mul');
    const fn = fc.constantFrom('contains', 'startswith', 'endswith', 'tolower', 'toupper', 'now', 'maxdatetime', 'mindatetime', 'year', 'length', 'substring', 'concat', 'indexof', 'trim', 'round', 'cast', 'isof', 'date');
    const leaf = fc.oneof(
      fc.tuple(prop, cmp, lit).map(([p, c, l]) => `${p} ${c} ${l}`),
      fc.tuple(fn, prop, lit, cmp, lit).map(([f, p, a, c, l]) => `${f}(${p}, ${a}) ${c} ${l}`),
      fc.tuple(fn, prop).map(([f, p]) => `${f}(${p})`),
      fc.tuple(fn, cmp, prop).map(([f, c, p]) => `${f}() ${c} ${p}`),
      fc.tuple(cmp, lit).map(([c, l]) => `team/any(t:t/email ${c} ${l})`),
      fc.tuple(cmp, lit).map(([c, l]) => `team/all(x:x/lastName ${c} ${l})`),
      prop,
    );
    const { expr } = fc.letrec<{ expr: string }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
        tie('expr').map((e) => `not ${e}`),
        tie('expr').map((e) => `(${e})`),
      ),
    }));
    const filter = fc.oneof({ weight: 5, arbitrary: expr }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
    let runs = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(filter, fc.constantFrom('', '&$count=true', '&$orderby=updatedDateTime desc', '&$top=2')), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        runs += batch.length;
        await Promise.all(
          batch.map(async ([f, extra]) => {
            const res = await attacker.api.get(`/referrals?$filter=${encodeURIComponent(f)}${extra}`);
            expect(res.status, `${f} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
            if (res.status === 200) {
              answered++;
              for (const r of res.body.value as { id: string; organizationId: string; inviteContext?: { invitedBy?: { organizationId?: string } } }[]) {
                expect(r.id).not.toBe(victim.id);
                expect([r.organizationId, r.inviteContext?.invitedBy?.organizationId], f).toContain(attacker.id);
              }
            } else {
              expect(res.status, f).toBe(400);
              expect(['invalidRequest', 'unsupportedFilter'], f).toContain(res.body.error.code);
            }
          }),
        );
      }),
      FUZZ,
    );
    console.info(`fuzz $filter: ${runs} filters, ${answered} answered 200`);
    expect(runs).toBeGreaterThan(100);
    expect(answered).toBeGreaterThan(0);
    await untouched();
  });

  it('the server keeps answering', async () => {
    expect((await t.api.get('/referrals?$top=1')).status).toBe(200);
    expect((await attacker.api.get('/referrals?$top=1')).status).toBe(200);
  });
});
