/** The SyncState contract on PostgreSQL, each store in its own schema (dropped afterwards). */
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresState } from '../../src/state/index.js';
import { migrate, openPool } from '../../src/state/index.js';
import { PG_MIGRATIONS } from '../../src/state/postgres/migrations.js';
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
});
