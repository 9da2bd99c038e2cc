/** `cosell-sync state copy --from sqlite:FILE --to postgres` and `cosell-sync migrate`, through the CLI. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyCounts, openPostgresState, openSqliteState, type SyncState } from '../../src/state/index.js';
import { PG_MIGRATIONS } from '../../src/state/postgres/migrations.js';
import { withSyncLog } from '../../src/sync/index.js';
import { databaseUrl, dropSchema, servicesUp, uniqueName } from '../helpers/services.js';
import { link } from '../helpers/state-fixtures.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

function cli(dir: string, schema: string, ...args: string[]) {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `state: { kind: postgres, schema: ${schema} }
referrals: { target: store, embedded: {}, auth: { method: api-key } }
connections: [{ name: sf, crm: { kind: salesforce, sandbox: {} }, mapping: m.yaml }]
`,
  );
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', config, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COSELL_DATABASE_URL: databaseUrl, COSELL_LOG_LEVEL: 'error' },
  });
}

/** Everything a reader of the state can see, for comparing two backends. */
async function snapshot(s: SyncState, crmIds: string[]) {
  const links = [...(await s.getLinks('sf', crmIds)).values()].sort((a, b) => a.crmId.localeCompare(b.crmId));
  return {
    links,
    cursors: [await s.getCursor('sf', 'crm'), await s.getCursor('sf', 'referrals')],
    issues: await s.issues(),
    conflicts: await s.conflicts(undefined, true),
    runs: await s.lastRuns(undefined, 100),
    log: (await s.syncLog({ limit: 10_000 })).items,
    pending: await s.pendingCreates('sf'),
    paused: await s.pausedConnections(),
    counts: await s.linkCounts('sf'),
  };
}

describe.skipIf(!(await servicesUp({ postgres: true })))('state copy', () => {
  it('moves every link, cursor, run, log line, issue, conflict, pending create and pause; the copy syncs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cosell-copy-'));
    const file = join(dir, 'state.db');
    const ids = Array.from({ length: 2500 }, (_, i) => `crm${i}`);
    const sqlite = withSyncLog(openSqliteState(file));
    const run = await sqlite.startRun('sf', 'c1');
    await sqlite.checkpoint('sf', {
      links: ids.map((id, i) => link(id, { state: i % 100 === 0 ? 'blocked' : 'ok', written: { n: i }, crmEcho: { stage: 'Won' } })),
      cursor: { direction: 'crm', value: '2026-01-01T00:00:00Z|x' },
    });
    await sqlite.checkpoint('sf', {
      cursor: { direction: 'referrals', value: 'r1' },
      issues: [{ connection: 'sf', recordKey: 'crm:bad', kind: 'validation', message: 'country missing' }],
      conflicts: [
        { connection: 'sf', crmId: 'crm1', referralId: 'ref-crm1', field: 'notes', baseValue: null, crmValue: 'a', referralValue: 'b' },
        { connection: 'sf', crmId: 'crm2', referralId: 'ref-crm2', field: 'value', baseValue: 1, crmValue: 2, referralValue: 3 },
      ],
      pending: { add: [{ key: 'referral:crm9', createdAt: 't' }] },
    });
    await sqlite.resolveConflict((await sqlite.conflicts('sf'))[0]!.id, 'crm');
    await sqlite.requestRetry('sf', ['crm:bad']);
    await sqlite.finishRun(run, 'ok', { ...emptyCounts(), created: 2500 });
    await sqlite.setPaused('sf', true);
    const before = await snapshot(sqlite, ids);
    const retries = await sqlite.takeRetries('sf');
    await sqlite.requestRetry('sf', retries);
    await sqlite.close();

    const schema = uniqueName('copy');
    schemas.push(schema);
    const out = cli(dir, schema, 'state', 'copy', '--from', `sqlite:${file}`, '--to', 'postgres');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/links\s+2500/);

    const pgState = withSyncLog(await openPostgresState({ url: databaseUrl, schema }));
    try {
      const after = await snapshot(pgState, ids);
      expect(after.links).toHaveLength(2500);
      expect(after).toEqual(before);
      expect(await pgState.takeRetries('sf')).toEqual(retries);
      // The copy goes on where the file stopped: new ids follow the copied ones.
      expect(await pgState.startRun('sf', 'c2')).toBeGreaterThan(run);
    } finally {
      await pgState.close();
    }

    const again = cli(dir, schema, 'state', 'copy', '--from', `sqlite:${file}`, '--to', 'postgres');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds links/);
  });

  it('migrate brings an empty schema up to date once; a bad --from is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cosell-migrate-'));
    const schema = uniqueName('migratecli');
    schemas.push(schema);
    expect(cli(dir, schema, 'migrate').stdout).toBe(`applied migrations ${PG_MIGRATIONS.map((_, i) => i + 1).join(', ')}\n`);
    expect(cli(dir, schema, 'migrate').stdout).toBe('up to date\n');
    const bad = cli(dir, schema, 'state', 'copy', '--from', 'state.db', '--to', 'postgres');
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/--from: expected sqlite:FILE/)]);
  });
});
