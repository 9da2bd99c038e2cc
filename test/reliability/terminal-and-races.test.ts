/**
 * Terminal lock: 500 edits to Won, Lost, Declined and Expired deals — none reaches the store, every one is
 * reported on its CRM record. Races: referrals edited in the store while the same opportunities are edited in
 * the CRM — no lost update (each 412 re-planned), the field policy applied, `manual` fields as conflicts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyProvider, createReferralsClient, type ReferralsClient } from '../../src/partner-center/index.js';
import { ConflictError } from '../../src/runtime/index.js';
import { startStack, type Stack } from '../e2e/stack.js';

let s: Stack;
beforeEach(async () => {
  s = await startStack('salesforce');
});
afterEach(async () => {
  await s.close();
});

const patches = () => s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0;

describe('terminal lock', () => {
  it('500 edits to Won / Lost / Declined / Expired deals: 0 reach the store, 500 are reported on their records', async () => {
    const won = Array.from({ length: 240 }, (_, i) => s.crm.create({ name: `Won ${i}` }));
    const lost = Array.from({ length: 240 }, (_, i) => s.crm.create({ name: `Lost ${i}` }));
    const inbound: string[] = [];
    for (let i = 0; i < 20; i++) inbound.push(String((await s.admin('microsoft/referrals', { name: `Inbound ${i}` })).id));
    await s.sync();
    won.forEach((id) => s.crm.win(id));
    lost.forEach((id) => s.crm.lose(id, 'Budget cut'));
    const inboundOpps = inbound.map((r) => s.crm.withReferral(r)!);
    inboundOpps.slice(0, 10).forEach((id) => s.crm.decline(id, 'Not our focus'));
    await s.sync();
    await s.admin('clock', { advanceDays: 15 }); // the other ten expire unanswered
    await s.sync();
    await s.sync();
    const subs = await Promise.all(inbound.map(async (r) => (await s.client.read(r))!.referral.substatus));
    expect(subs.filter((x) => x === 'Declined')).toHaveLength(10);
    expect(subs.filter((x) => x === 'Expired')).toHaveLength(10);

    const before = patches();
    const all = [...won, ...lost, ...inboundOpps];
    all.forEach((id, i) => s.crm.editAfterClose(id, 7_000 + i));
    const c = await s.sync();
    // 500 distinct closed CRM records really carry the edit (each inbound referral became its own opportunity).
    expect(new Set(all.filter(Boolean)).size).toBe(500);
    expect(all.map((id) => s.crm.field(id, 'amount'))).toEqual(all.map((_, i) => 7_000 + i));
    expect(patches() - before).toBe(0);
    expect(c.counts.blocked).toBe(500);
    const lines = all.map((id) => String(s.crm.field(id, 'statusLine')));
    expect(lines.filter((l) => /^✖ blocked: the referral is (Won|Lost|Declined|Expired): no edit of any kind/.test(l))).toHaveLength(500);
  }, 120_000);
});

describe('races', () => {
  /** Another API user of the store, with its own client, so the sync's client sees only the sync's calls. */
  let editor: ReferralsClient;
  beforeEach(() => {
    editor = createReferralsClient({
      baseUrl: s.store.url,
      auth: apiKeyProvider(s.store.apiKey),
      rate: { concurrency: 4, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 2 },
    });
  });

  async function editReferral(id: string, ops: { op: 'replace'; path: string; value: unknown }[]) {
    // A 412 here means the sync wrote in between: read again and re-apply, as any API client must.
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = (await editor.read(id))!;
      try {
        return await editor.patch(id, ops, current.etag);
      } catch {}
    }
    throw new Error(`could not edit ${id}`);
  }

  it('both sides edited before a cycle: the per-field policy decides (value crm-wins, notes manual → conflict)', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => s.crm.create({ name: `Both ${i}`, notes: 'start' }));
    await s.sync();
    for (const [i, id] of ids.entries()) {
      const r = await s.referralFor(id);
      await editReferral(r.id, [
        { op: 'replace', path: '/details/dealValue', value: 1_000 + i },
        { op: 'replace', path: '/details/notes', value: `pc ${i}` },
        { op: 'replace', path: '/details/closingDateTime', value: '2027-09-30T00:00:00Z' },
      ]);
      s.crm.setAmount(id, 50_000 + i);
      s.crm.setNotes(id, `crm ${i}`);
    }
    await s.sync();
    await s.sync();
    for (const [i, id] of ids.entries()) {
      const r = await s.referralFor(id);
      expect(r.details?.dealValue).toBe(50_000 + i);
      expect(r.details?.notes).toBe(`pc ${i}`);
      expect(r.details?.closingDateTime?.slice(0, 10)).toBe('2027-09-30');
      expect(s.crm.field(id, 'amount')).toBe(50_000 + i);
    }
    const conflicts = await s.state.conflicts('salesforce');
    expect(conflicts.map((c) => [c.crmId, c.field]).sort()).toEqual(ids.map((id) => [id, 'notes']).sort());
  }, 120_000);

  it('edits racing a running cycle: every 412 is re-planned, nothing is lost, both sides converge', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => s.crm.create({ name: `Race ${i}`, notes: 'start' }));
    await s.sync();
    const refs = await Promise.all(ids.map((id) => s.referralFor(id)));
    // Watch the sync's own calls: every 412 the store answers it must be followed by a re-read of that referral
    // (the re-plan), and then by a patch of it that the store accepted.
    const calls: { kind: '412' | 'read' | 'patched'; id: string }[] = [];
    const edit = (i: number) =>
      editReferral(refs[i]!.id, [
        { op: 'replace', path: '/details/closingDateTime', value: '2027-09-30T00:00:00Z' },
        { op: 'replace', path: '/details/dealValue', value: 1_000 + i },
      ]);
    const { patch, read } = s.client;
    let raced = false;
    s.client.patch = async (id, ops, etag) => {
      // However fast the cycle runs, its first patch finds its referral edited in the store since the cycle read it.
      if (!raced) {
        raced = true;
        await edit(refs.findIndex((r) => r.id === id));
      }
      try {
        const out = await patch(id, ops, etag);
        calls.push({ kind: 'patched', id });
        return out;
      } catch (err) {
        if (err instanceof ConflictError) calls.push({ kind: '412', id });
        throw err;
      }
    };
    s.client.read = async (id) => {
      calls.push({ kind: 'read', id });
      return read(id);
    };
    const storeEdits = (async () => {
      for (const i of refs.keys()) await edit(i);
    })();
    ids.forEach((id, i) => s.crm.setAmount(id, 50_000 + i));
    await Promise.all([s.sync(), storeEdits]);
    const conflicts = calls.flatMap((c, i) => (c.kind === '412' ? [i] : []));
    expect(conflicts.length).toBeGreaterThan(0);
    for (const i of conflicts) {
      const id = calls[i]!.id;
      const reread = calls.findIndex((c, j) => j > i && c.kind === 'read' && c.id === id);
      expect(reread, `412 on ${id} was not re-read`).toBeGreaterThan(i);
      expect(
        calls.some((c, j) => j > reread && c.kind === 'patched' && c.id === id),
        `412 on ${id} was not re-planned into an accepted patch`,
      ).toBe(true);
    }
    await s.sync();
    await s.sync();
    expect(await s.state.issues('salesforce')).toEqual([]);
    for (const [i, id] of ids.entries()) {
      const r = await s.referralFor(id);
      // Whichever edit came last wins for value; the two sides agree; the referral-only close date survives.
      expect([1_000 + i, 50_000 + i]).toContain(r.details?.dealValue);
      expect(s.crm.field(id, 'amount')).toBe(r.details?.dealValue);
      expect(r.details?.closingDateTime?.slice(0, 10)).toBe('2027-09-30');
    }
  }, 120_000);
});
