/** The SyncState contract on PostgreSQL, each store in its own schema (dropped afterwards). */
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresState } from '../../src/state/index.js';
import { migrate, openPool } from '../../src/state/index.js';
import { PG_MIGRATIONS } from '../../src/state/postgres/migrations.js';
import { acquireLease } from '../../src/state/postgres/lease.js';
import { inTx } from '../../src/state/postgres/pool.js';
import { databaseUrl, dropSchema, servicesUp, uniqueName } from '../helpers/services.js';
import { stateContract } from '../helpers/state-contract.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

describe.skipIf(!(await servicesUp({ postgres: true })))('postgres state', () => {
  stateContract('postgres', {
    async fresh() {
      const schema = uniqueName('contract');
      schemas.push(schema);
      return { open: () => openPostgresState({ url: databaseUrl, schema }) };
    },
  });

  it('runs each migration once, also when several processes start at once', async () => {
    const schema = uniqueName('migrate');
    schemas.push(schema);
    const pools = await Promise.all([1, 2, 3].map(() => openPool({ url: databaseUrl, schema })));
    const ran = await Promise.all(pools.map((p) => migrate(p)));
    expect(ran.flat().sort((a, b) => a - b)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    expect(await migrate(pools[0]!)).toEqual([]);
    for (const p of pools) await p.end();
  });

  it('a transaction left idle by a stalled process is ended by the server, so its row locks block no other worker', async () => {
    const schema = uniqueName('stall');
    schemas.push(schema);
    const stalled = await openPool({ url: databaseUrl, schema, idleInTransactionMs: 600 });
    const other = await openPool({ url: databaseUrl, schema });
    await migrate(other);
    await other.query("INSERT INTO leases (connection, token, holder, acquired_at, expires_at) VALUES ('c', 1, 'a', now(), now())");
    // The stalled worker holds the lease row as a page commit does (FOR UPDATE), then stops sending anything.
    let wake: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    const commit = inTx(stalled, async (c) => {
      await c.query("SELECT 1 FROM leases WHERE connection = 'c' FOR UPDATE");
      locked();
      await new Promise<void>((r) => (wake = r));
      await c.query("UPDATE leases SET holder = 'a-again' WHERE connection = 'c'");
    });
    await isLocked;
    const started = Date.now();
    const lease = await acquireLease(other, 'c', 'b', 200);
    expect(Date.now() - started, 'the takeover waited for the server to end the idle transaction, not forever').toBeLessThan(10_000);
    expect(lease?.holder).toBe('b');
    // Its 200 ms count from when it took the row, not from when it asked (≥ 600 ms before): the lease is valid.
    expect((await other.query('SELECT expires_at > clock_timestamp() AS valid FROM leases')).rows).toEqual([{ valid: true }]);
    // Woken up, the stalled one finds its transaction gone: nothing of it commits, and the process lives on.
    wake();
    await expect(commit).rejects.toThrow();
    expect((await other.query('SELECT holder FROM leases')).rows).toEqual([{ holder: 'b' }]);
    await stalled.end();
    await other.end();
  });
});
