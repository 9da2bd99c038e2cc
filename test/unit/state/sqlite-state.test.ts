import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyCounts, openSqliteState, type SyncState } from '../../../src/state/index.js';
import { link } from '../../helpers/state-fixtures.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'cosell-state-')), 'state.db');
let open: SyncState[] = [];
afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
});
function state(f = file()) {
  const s = openSqliteState(f);
  open.push(s);
  return s;
}

describe('sqlite sync state', () => {
  it('commits links, cursor, issues and pending creates of a page together and reads them back after reopening', async () => {
    const f = file();
    const s = state(f);
    await s.checkpoint('sf', {
      links: [link('a'), link('b', { state: 'blocked' })],
      cursor: { direction: 'crm', value: 'c1' },
      issues: [{ connection: 'sf', recordKey: 'crm:x', kind: 'validation', message: 'country missing' }],
      pending: { add: [{ key: 'create-referral:z', createdAt: 't' }] },
    });
    await s.close();
    open = [];
    const again = state(f);
    expect((await again.getLinks('sf', ['a', 'b', 'nope'])).size).toBe(2);
    expect((await again.getLinksByReferral('sf', ['ref-a'])).get('ref-a')?.base.name).toBe('a');
    expect(await again.getCursor('sf', 'crm')).toBe('c1');
    expect(await again.getCursor('sf', 'referrals')).toBeNull();
    expect((await again.issues('sf')).map((i) => i.message)).toEqual(['country missing']);
    expect(await again.pendingCreates('sf')).toEqual([{ key: 'create-referral:z', createdAt: 't' }]);
    expect(await again.linkCounts('sf')).toEqual({ ok: 1, blocked: 1, error: 0 });
  });

  it('rolls back the whole page when one part of a checkpoint fails', async () => {
    const s = state();
    await s.checkpoint('sf', { links: [link('a')] });
    // Two CRM records claiming one referral violate the unique link: nothing of this checkpoint may land.
    await expect(s.checkpoint('sf', { links: [link('b', { referralId: 'ref-a' })], cursor: { direction: 'crm', value: 'c2' } })).rejects.toThrow();
    expect(await s.getCursor('sf', 'crm')).toBeNull();
    expect((await s.getLinks('sf', ['b'])).size).toBe(0);
  });

  it('counts attempts of a repeated issue and clears it once the record syncs', async () => {
    const s = state();
    const issue = { connection: 'sf', recordKey: 'crm:1', kind: 'validation', message: 'm' };
    await s.checkpoint('sf', { issues: [issue] });
    await s.checkpoint('sf', { issues: [issue] });
    expect((await s.issues('sf'))[0]?.attempts).toBe(2);
    await s.checkpoint('sf', { clearIssues: ['crm:1'] });
    expect(await s.issues('sf')).toEqual([]);
  });

  it('resolving a conflict re-bases the field so the chosen side wins next cycle, and queues the record', async () => {
    const s = state();
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
    const s = state();
    await s.startRun('sf', 'c1');
    const second = await s.startRun('sf', 'c2');
    await s.finishRun(second, 'ok', { ...emptyCounts(), created: 3 });
    const runs = await s.lastRuns('sf');
    expect(runs.map((r) => r.status)).toEqual(['ok', 'interrupted']);
    expect(runs[0]?.counts.created).toBe(3);
  });

  it('reset forgets cursors but keeps links, so a full resync reconciles instead of duplicating', async () => {
    const s = state();
    await s.checkpoint('sf', { links: [link('a')], cursor: { direction: 'crm', value: 'c' } });
    await s.resetCursors('sf');
    expect(await s.getCursor('sf', 'crm')).toBeNull();
    expect((await s.getLinks('sf', ['a'])).size).toBe(1);
  });
});
