/**
 * Property-based attacks on a live store (fast-check): generated create bodies, JSON Patches and `$filter`s,
 * each property bounded in time (FUZZ_MS). Invariants: never a 5xx; a refused request changes nothing (same
 * ETag); another tenant's data never changes and never shows; Object.prototype untouched; the server keeps
 * answering.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, deal, startTestStore, type Client, type TestStore } from '../contract/store/store-harness.js';
import { createBody, FUZZ, filterArb, patchBody } from './arbitraries.js';

const BATCH = 8;

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

describe('fuzzing the store (bounded in time)', () => {
  it('create: generated bodies never 5xx and never land in another organization', async () => {
    let runs = 0;
    await fc.assert(
      // A batch of BATCH bodies per run, sent at once: more inputs per second, and concurrency for free.
      fc.asyncProperty(fc.array(createBody, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        runs += batch.length;
        await Promise.all(
          batch.map(async (body) => {
            const res = await attacker.api.post('/referrals', body);
            expect(res.status, `${body} → ${JSON.stringify(res.body)}`).toBeLessThan(500);
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
    const filter = filterArb(victim.id);
    let runs = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(filter, fc.constantFrom('', '&$count=true', '&$orderby=updatedDateTime desc', '&$top=2')), { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
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
        },
      ),
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
