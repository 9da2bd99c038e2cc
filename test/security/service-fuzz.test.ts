/**
 * The same attacks in process, below HTTP, for volume (thousands per property within FUZZ_MS): the store's
 * service and listing over an in-memory SQLite store. Anything but an ApiError below 500 would be a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICROSOFT_ORG_ID } from '../../src/domain/index.js';
import { createClock } from '../../src/referral-store/clock.js';
import { ApiError } from '../../src/referral-store/errors.js';
import { listQuerySchema, listReferrals } from '../../src/referral-store/listing.js';
import { Repository, type Organization } from '../../src/referral-store/repository.js';
import { ReferralService } from '../../src/referral-store/service.js';
import { deal } from '../contract/store/store-harness.js';
import { createBody, FUZZ, filterArb, patchBody } from './arbitraries.js';

let repo: Repository;
let service: ReferralService;
const victim: Organization = { id: 'victim-org', name: 'Victim', solutionAssessmentVetted: true };
const attacker: Organization = { id: 'attacker-org', name: 'Attacker', solutionAssessmentVetted: false };
let victimRow: { id: string; etag: string; body: string };
const protoBaseline = Object.getOwnPropertyNames(Object.prototype).sort();

/** Run `fn`; a thrown error must be the API's own, below 500 (what the HTTP layer renders as 4xx). */
function answered<T>(fn: () => T): T | ApiError {
  try {
    return fn();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBeLessThan(500);
    return err as ApiError;
  }
}

function untouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBaseline);
  const v = repo.get(victimRow.id)!;
  expect(v.etag).toBe(victimRow.etag);
  expect(JSON.stringify(v.referral)).toBe(victimRow.body);
}

beforeAll(() => {
  repo = new Repository(':memory:');
  const now = '2026-01-05T09:00:00.000Z';
  for (const o of [{ id: MICROSOFT_ORG_ID, name: 'Microsoft', solutionAssessmentVetted: true }, victim, attacker]) repo.insertOrg(o, now);
  service = new ReferralService(repo, createClock(new Date(now)));
  const v = service.create(victim, deal({ externalReferenceId: 'VICTIM-SVC' })).stored;
  victimRow = { id: v.referral.id, etag: v.etag, body: JSON.stringify(repo.get(v.referral.id)!.referral) };
});
afterAll(() => repo.close());

describe('fuzzing the store service in process (bounded in time)', () => {
  it('create: only ApiErrors below 500; created referrals belong to the caller', () => {
    let runs = 0;
    fc.assert(
      fc.property(createBody, (text) => {
        runs++;
        const r = answered(() => service.create(attacker, JSON.parse(text)));
        if (!(r instanceof ApiError)) expect(r.stored.orgId).toBe(attacker.id);
      }),
      FUZZ,
    );
    console.info(`fuzz create (in process): ${runs} bodies`);
    expect(runs).toBeGreaterThan(500);
    untouched();
  });

  it('JSON Patch: only ApiErrors below 500; a refused patch leaves the row (ETag and body) as it was', () => {
    let target = service.create(attacker, deal()).stored;
    let runs = 0;
    let accepted = 0;
    fc.assert(
      fc.property(patchBody, (ops) => {
        runs++;
        const before = repo.get(target.referral.id)!;
        const r = answered(() => service.patch(attacker, before.referral.id, JSON.parse(JSON.stringify(ops)), before.etag));
        if (r instanceof ApiError) {
          const after = repo.get(before.referral.id)!;
          expect(after.etag).toBe(before.etag);
          expect(after.referral).toEqual(before.referral);
        } else {
          accepted++;
          if (r.referral.status === 'Closed') target = service.create(attacker, deal()).stored;
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBaseline);
      }),
      FUZZ,
    );
    console.info(`fuzz JSON Patch (in process): ${runs} patches, ${accepted} accepted`);
    expect(runs).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(0);
    untouched();
  });

  it("$filter: compiled and run, or refused 400 — only the caller's own rows", () => {
    let runs = 0;
    fc.assert(
      fc.property(filterArb(victimRow.id), fc.constantFrom('true', 'false'), (filter, count) => {
        runs++;
        const q = listQuerySchema.parse({ $filter: filter, $count: count });
        const page = answered(() => listReferrals(repo, attacker, q));
        if (page instanceof ApiError) expect(['invalidRequest', 'unsupportedFilter']).toContain(page.code);
        else for (const row of page.items) expect(row.id).not.toBe(victimRow.id);
      }),
      FUZZ,
    );
    console.info(`fuzz $filter (in process): ${runs} filters`);
    expect(runs).toBeGreaterThan(500);
    untouched();
  });
});
