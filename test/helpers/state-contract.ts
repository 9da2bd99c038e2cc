/**
 * The SyncState contract, one suite for every backend (SQLite in test/unit/state, PostgreSQL in
 * test/distributed): page commits, rollback, issues, conflicts, runs, the sync log, paged lists, pause.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDealFields } from '../../src/domain/index.js';
import { emptyCounts, type Link, type SyncState } from '../../src/state/index.js';
import { withSyncLog } from '../../src/sync/index.js';
import { link } from './state-fixtures.js';

export interface StateBackend {
  /** A new empty store; `open` opens it (again, after a close, for the reopen test). */
  fresh(): Promise<{ open(): Promise<SyncState> }>;
}

export function stateContract(name: string, backend: StateBackend): void {
  let open: SyncState[] = [];
  afterEach(async () => {
    for (const s of open) await s.close();
    open = [];
  });
  async function opener() {
    const store = await backend.fresh();
    return async () => {
      const s = await store.open();
      open.push(s);
      return s;
    };
  }
  const state = async () => (await opener())();

  describe(`${name} sync state`, () => {
    it('commits links, cursor, issues and pending creates of a page together and reads them back after reopening', async () => {
      const reopen = await opener();
      const s = await reopen();
      await s.checkpoint('sf', {
        links: [link('a'), link('b', { state: 'blocked' })],
        cursor: { direction: 'crm', value: 'c1' },
        issues: [{ connection: 'sf', recordKey: 'crm:x', kind: 'validation', message: 'country missing' }],
        pending: { add: [{ key: 'create-referral:z', createdAt: 't' }] },
      });
      await s.close();
      open = open.filter((x) => x !== s);
      const again = await reopen();
      expect((await again.getLinks('sf', ['a', 'b', 'nope'])).size).toBe(2);
      expect((await again.getLinksByReferral('sf', ['ref-a'])).get('ref-a')?.base.name).toBe('a');
      expect(await again.getCursor('sf', 'crm')).toBe('c1');
      expect(await again.getCursor('sf', 'referrals')).toBeNull();
      expect((await again.issues('sf')).map((i) => i.message)).toEqual(['country missing']);
      expect(await again.pendingCreates('sf')).toEqual([{ key: 'create-referral:z', createdAt: 't' }]);
      expect(await again.linkCounts('sf')).toEqual({ ok: 1, blocked: 1, error: 0 });
    });

    it('rolls back the whole page when one part of a checkpoint fails', async () => {
      const s = await state();
      await s.checkpoint('sf', { links: [link('a')] });
      // Two CRM records claiming one referral violate the unique link: nothing of this checkpoint may land.
      await expect(s.checkpoint('sf', { links: [link('b', { referralId: 'ref-a' })], cursor: { direction: 'crm', value: 'c2' } })).rejects.toThrow();
      expect(await s.getCursor('sf', 'crm')).toBeNull();
      expect((await s.getLinks('sf', ['b'])).size).toBe(0);
    });

    it('counts attempts of a repeated issue and clears it once the record syncs', async () => {
      const s = await state();
      const issue = { connection: 'sf', recordKey: 'crm:1', kind: 'validation', message: 'm' };
      await s.checkpoint('sf', { issues: [issue] });
      await s.checkpoint('sf', { issues: [issue] });
      expect((await s.issues('sf'))[0]?.attempts).toBe(2);
      await s.checkpoint('sf', { clearIssues: ['crm:1'] });
      expect(await s.issues('sf')).toEqual([]);
    });

    it('resolving a conflict re-bases the field so the chosen side wins next cycle, and queues the record', async () => {
      const s = await state();
      await s.checkpoint('sf', {
        links: [link('a')],
        conflicts: [{ connection: 'sf', crmId: 'a', referralId: 'ref-a', field: 'notes', baseValue: null, crmValue: 'crm', referralValue: 'pc' }],
      });
      const [c] = await s.conflicts('sf');
      expect(c?.field).toBe('notes');
      const resolved = await s.resolveConflict(c!.id, 'crm');
      expect(resolved?.resolution).toBe('crm');
      const l = (await s.getLinks('sf', ['a'])).get('a')!;
      expect(l.base.notes).toBe('pc');
      expect(l.crmVersion).toBeNull();
      expect(await s.conflicts('sf')).toEqual([]);
      expect(await s.takeRetries('sf')).toEqual(['crm:a']);
      expect(await s.takeRetries('sf')).toEqual([]);
    });

    it('marks a run left running by a killed process as interrupted', async () => {
      const s = await state();
      await s.startRun('sf', 'c1');
      const second = await s.startRun('sf', 'c2');
      await s.finishRun(second, 'ok', { ...emptyCounts(), created: 3 });
      const runs = await s.lastRuns('sf');
      expect(runs.map((r) => r.status)).toEqual(['ok', 'interrupted']);
      expect(runs[0]?.counts.created).toBe(3);
    });

    it('reset forgets cursors but keeps links, so a full resync reconciles instead of duplicating', async () => {
      const s = await state();
      await s.checkpoint('sf', { links: [link('a')], cursor: { direction: 'crm', value: 'c' } });
      await s.resetCursors('sf');
      expect(await s.getCursor('sf', 'crm')).toBeNull();
      expect((await s.getLinks('sf', ['a'])).size).toBe(1);
    });
  });

  const logged = async (now?: () => Date) => withSyncLog(await state(), now);
  /** Names like "Deal A", so name search has something to find. */
  const named = (crmId: string, over: Partial<Link> = {}): Link => link(crmId, { base: { ...emptyDealFields(), name: `Deal ${crmId}` }, ...over });
  const outcomes = async (s: SyncState, runId: number) => (await s.syncLog({ runId, limit: 100 })).items.map((e) => [e.crmId ?? e.referralId, e.outcome, e.reason]).reverse();

  describe(`${name} sync log`, () => {
    it('records created, updated, written back, created in CRM, blocked (once), conflict and issue per run; nothing for an ETag-only change', async () => {
      const s = await logged();
      const r1 = await s.startRun('sf', 'c1');
      await s.checkpoint('sf', { links: [named('A'), named('B'), named('C', { direction: 'Incoming' })] });
      expect(await outcomes(s, r1)).toEqual([
        ['A', 'created', null],
        ['B', 'created', null],
        ['C', 'created in CRM', null],
      ]);

      const r2 = await s.startRun('sf', 'c2');
      await s.checkpoint('sf', {
        links: [
          named('A', { base: { ...emptyDealFields(), name: 'Deal A', value: 10 } }),
          named('B', { written: { Referral_Status__c: 'Active' }, message: 'synced' }),
          named('C', { referralEtag: 'e2' }),
          named('D', { state: 'blocked', message: 'the referral is Won' }),
        ],
        issues: [{ connection: 'sf', recordKey: 'crm:E', kind: 'validation', message: 'customer.country: required' }],
        conflicts: [{ connection: 'sf', crmId: 'A', referralId: 'ref-A', field: 'notes', baseValue: 'x', crmValue: 'crm', referralValue: 'pc' }],
      });
      expect(await outcomes(s, r2)).toEqual([
        ['A', 'updated', null],
        ['B', 'written back', 'synced'],
        ['D', 'blocked', 'the referral is Won'],
        ['E', 'issue', 'validation: customer.country: required'],
        ['A', 'conflict', 'notes: CRM "crm" vs referral "pc"'],
      ]);

      const r3 = await s.startRun('sf', 'c3');
      await s.checkpoint('sf', { links: [named('D', { state: 'blocked', message: 'the referral is Won' })] });
      expect(await outcomes(s, r3), 'a link still blocked for the same reason').toEqual([]);
    });

    it("commits a page's log lines with the page: a page that fails to commit leaves no line behind", async () => {
      const s = await logged();
      const run = await s.startRun('sf', 'c1');
      await s.checkpoint('sf', { links: [named('A')] });
      // B claims A's referral: the unique link refuses it, so neither B's link nor its "created" line may land.
      await expect(s.checkpoint('sf', { links: [named('B', { referralId: 'ref-A' })] })).rejects.toThrow();
      expect(await outcomes(s, run)).toEqual([['A', 'created', null]]);
      expect((await s.getLinks('sf', ['B'])).size).toBe(0);
    });

    it('is searchable by CRM id, referral id or a part of the name (wildcards are literal), newest first, paged', async () => {
      const s = await logged();
      const run = await s.startRun('sf', 'c1');
      await s.checkpoint('sf', { links: Array.from({ length: 5 }, (_, i) => named(`X${i}`)) });
      await s.checkpoint('sf', { links: [named('Y', { base: { ...emptyDealFields(), name: '50% off_deal' } })] });
      expect((await s.syncLog({ search: 'X3', limit: 10 })).items.map((e) => e.crmId)).toEqual(['X3']);
      expect((await s.syncLog({ search: 'ref-X1', limit: 10 })).items.map((e) => e.crmId)).toEqual(['X1']);
      expect((await s.syncLog({ search: 'eal X', limit: 10 })).items).toHaveLength(5);
      expect((await s.syncLog({ search: '%', limit: 10 })).items.map((e) => e.crmId)).toEqual(['Y']);
      expect((await s.syncLog({ search: '_', limit: 10 })).items.map((e) => e.crmId)).toEqual(['Y']);
      const p1 = await s.syncLog({ runId: run, limit: 4 });
      expect(p1.items.map((e) => e.crmId)).toEqual(['Y', 'X4', 'X3', 'X2']);
      const p2 = await s.syncLog({ runId: run, limit: 4, before: p1.next! });
      expect(p2.items.map((e) => e.crmId)).toEqual(['X1', 'X0']);
      expect(p2.next).toBeNull();
    });

    it('is kept for a number of days', async () => {
      let t = new Date('2026-01-01T00:00:00Z');
      const s = await logged(() => t);
      await s.startRun('sf', 'c1');
      await s.checkpoint('sf', { links: [named('OLD')] });
      t = new Date('2026-02-01T00:00:00Z');
      await s.checkpoint('sf', { links: [named('NEW')] });
      expect(await s.pruneSyncLog('2026-01-15T00:00:00Z')).toBe(1);
      expect((await s.syncLog({ limit: 10 })).items.map((e) => e.crmId)).toEqual(['NEW']);
    });
  });

  describe(`${name} paged lists and pause`, () => {
    it('runs, issues and conflicts page in SQL with totals; paused connections persist', async () => {
      const s = await logged();
      for (let i = 0; i < 5; i++) await s.startRun(i % 2 ? 'sf' : 'dyn', `c${i}`);
      const sf = await s.runsPage({ connection: 'sf', limit: 1 });
      expect(sf.items.map((r) => r.correlationId)).toEqual(['c3']);
      expect((await s.runsPage({ connection: 'sf', limit: 1, before: sf.next! })).items.map((r) => r.correlationId)).toEqual(['c1']);
      await s.checkpoint('sf', { issues: Array.from({ length: 7 }, (_, i) => ({ connection: 'sf', recordKey: `crm:${i}`, kind: 'validation', message: 'm' })) });
      const issues = await s.issuesPage({ connection: 'sf', offset: 5, limit: 5 });
      expect([issues.items.length, issues.total, issues.next]).toEqual([2, 7, null]);
      expect((await s.issuesPage({ connection: 'sf', offset: 0, limit: 5 })).next).toBe(5);
      expect((await s.conflictsPage({ includeResolved: true, offset: 0, limit: 5 })).total).toBe(0);
      await s.setPaused('sf', true);
      await s.setPaused('sf', true);
      expect(await s.pausedConnections()).toEqual(['sf']);
      await s.setPaused('sf', false);
      expect(await s.pausedConnections()).toEqual([]);
    });
  });
}
