/** Which connection a webhook's referral is synced on, and what is queued (real state, stub referral reads). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Referral } from '../../../src/domain/index.js';
import { openSqliteState, type SyncState } from '../../../src/state/index.js';
import { syncReferralNow } from '../../../src/sync/index.js';
import { link } from '../../helpers/state-fixtures.js';

let state: SyncState;
afterEach(async () => state.close());

const visible = (ids: Record<string, 'Incoming' | 'Outgoing'>) => ({
  read: async (id: string) => (ids[id] ? { referral: { id, direction: ids[id] } as Referral, etag: 'e' } : null),
});

async function setUp() {
  state = openSqliteState(join(mkdtempSync(join(tmpdir(), 'cosell-targeted-')), 'state.db'));
  const ran: string[] = [];
  const connections = [
    { name: 'sf', referrals: visible({ 'in-1': 'Incoming', 'inv-1': 'Outgoing' }) },
    { name: 'dyn', referrals: visible({}) },
  ];
  return { ran, deps: { state, connections, runNow: async (n: string) => void ran.push(n) } };
}

describe('syncReferralNow', () => {
  it('a linked referral: queued and synced on the connection that links it, nowhere else', async () => {
    const { ran, deps } = await setUp();
    await state.checkpoint('dyn', { links: [link('006A', { connection: 'dyn', referralId: 'ref-linked' })] });
    expect(await syncReferralNow(deps, 'ref-linked')).toEqual(['dyn']);
    expect(ran).toEqual(['dyn']);
    expect(await state.takeRetries('dyn')).toEqual(['referral:ref-linked']);
    expect(await state.takeRetries('sf')).toEqual([]);
  });

  it('an unlinked inbound referral: queued where it can be read', async () => {
    const { ran, deps } = await setUp();
    expect(await syncReferralNow(deps, 'in-1')).toEqual(['sf']);
    expect(ran).toEqual(['sf']);
    expect(await state.takeRetries('sf')).toEqual(['referral:in-1']);
  });

  it('an unlinked outgoing referral (our invitation to Microsoft): the cycle runs, nothing is queued that could create an opportunity', async () => {
    const { ran, deps } = await setUp();
    expect(await syncReferralNow(deps, 'inv-1')).toEqual(['sf']);
    expect(ran).toEqual(['sf']);
    expect(await state.takeRetries('sf')).toEqual([]);
  });

  it('a referral nobody can see: nothing runs', async () => {
    const { ran, deps } = await setUp();
    expect(await syncReferralNow(deps, 'elsewhere')).toEqual([]);
    expect(ran).toEqual([]);
  });
});
