/** The sync log: what each run did to each record (derived from page commits), searchable and paged; paged lists. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDealFields } from '../../../src/domain/index.js';
import { openSqliteState, type Link, type SyncState } from '../../../src/state/index.js';
import { withSyncLog } from '../../../src/sync/index.js';
import { link as baseLink } from '../../helpers/state-fixtures.js';

let open: SyncState[] = [];
afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
});
function state(now?: () => Date) {
  const s = withSyncLog(openSqliteState(join(mkdtempSync(join(tmpdir(), 'cosell-synclog-')), 'state.db')), now);
  open.push(s);
  return s;
}

/** Names like "Deal A", so name search has something to find. */
const link = (crmId: string, over: Partial<Link> = {}): Link => baseLink(crmId, { base: { ...emptyDealFields(), name: `Deal ${crmId}` }, ...over });

const outcomes = async (s: SyncState, runId: number) => (await s.syncLog({ runId, limit: 100 })).items.map((e) => [e.crmId ?? e.referralId, e.outcome, e.reason]).reverse();

describe('sync log', () => {
  it('records created, updated, written back, created in CRM, blocked (once), conflict and issue per run; nothing for an ETag-only change', async () => {
    const s = state();
    const r1 = await s.startRun('sf', 'c1');
    await s.checkpoint('sf', { links: [link('A'), link('B'), link('C', { direction: 'Incoming' })] });
    expect(await outcomes(s, r1)).toEqual([['A', 'created', null], ['B', 'created', null], ['C', 'created in CRM', null]]);

    const r2 = await s.startRun('sf', 'c2');
    await s.checkpoint('sf', {
      links: [
        link('A', { base: { ...emptyDealFields(), name: 'Deal A', value: 10 } }),
        link('B', { written: { Referral_Status__c: 'Active' }, message: 'synced' }),
        link('C', { referralEtag: 'e2' }),
        link('D', { state: 'blocked', message: 'the referral is Won' }),
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
    await s.checkpoint('sf', { links: [link('D', { state: 'blocked', message: 'the referral is Won' })] });
    expect(await outcomes(s, r3), 'a link still blocked for the same reason').toEqual([]);
  });

  it('is searchable by CRM id, referral id or a part of the name (wildcards are literal), newest first, paged', async () => {
    const s = state();
    const run = await s.startRun('sf', 'c1');
    await s.checkpoint('sf', { links: Array.from({ length: 5 }, (_, i) => link(`X${i}`)) });
    await s.checkpoint('sf', { links: [link('Y', { base: { ...emptyDealFields(), name: '50% off_deal' } })] });
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
    const s = state(() => t);
    await s.startRun('sf', 'c1');
    await s.checkpoint('sf', { links: [link('OLD')] });
    t = new Date('2026-02-01T00:00:00Z');
    await s.checkpoint('sf', { links: [link('NEW')] });
    expect(await s.pruneSyncLog('2026-01-15T00:00:00Z')).toBe(1);
    expect((await s.syncLog({ limit: 10 })).items.map((e) => e.crmId)).toEqual(['NEW']);
  });
});

describe('paged lists and pause', () => {
  it('runs, issues and conflicts page in SQL with totals; paused connections persist', async () => {
    const s = state();
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
