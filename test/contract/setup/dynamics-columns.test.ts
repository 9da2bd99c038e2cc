/**
 * `setup dynamics365` against a Dataverse org that has none of the co-sell columns yet: the dry run lists them
 * and creates nothing; the real run creates each one through `EntityDefinitions(LogicalName=…)/Attributes` with
 * its type, length and choices; a second run finds nothing missing and creates nothing; rows then take the columns.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { COSELL_COLUMNS, COSELL_TASK_COLUMNS, type DynamicsConnector } from '../../../connectors/dynamics365/index.js';
import type { DynamicsSandbox } from '../../../sandboxes/index.js';
import { startDataverse, type Dataverse } from '../../helpers/dataverse.js';

let dataverse: Dataverse;
let sb: DynamicsSandbox;
let c: DynamicsConnector;
beforeAll(async () => {
  dataverse = await startDataverse({ cosellColumns: false }, { maxRetries: 0 });
  ({ sb, c } = dataverse);
});
afterAll(async () => dataverse?.close());

const COLUMN_POSTS = 'POST /api/data/v9.2/EntityDefinitions(…)/Attributes';
const posts = () => sb.stats().byEndpoint[COLUMN_POSTS] ?? 0;
const cosell = (table: string) => sb.org.columns(table).filter((a) => a.name.startsWith('cosell_'));
const wanted = [...COSELL_COLUMNS.map((a) => a.name), ...COSELL_TASK_COLUMNS.map((a) => `task.${a.name}`)];

it('a fresh org gets every co-sell column created as its type; a second run creates nothing', async () => {
  expect(cosell('opportunity')).toEqual([]);
  expect(cosell('task')).toEqual([]);

  expect(await c.createMissingColumns(true)).toEqual(wanted);
  expect(posts()).toBe(0);
  expect(cosell('opportunity')).toEqual([]);

  expect(await c.createMissingColumns(false)).toEqual(wanted);
  expect(posts()).toBe(wanted.length);
  expect(cosell('opportunity')).toEqual(COSELL_COLUMNS);
  expect(cosell('task')).toEqual(COSELL_TASK_COLUMNS);
  const described = new Map((await c.describeFields()).map((f) => [f.name, f]));
  for (const a of COSELL_COLUMNS) expect(described.get(a.name), a.name).toMatchObject({ type: a.type, custom: true, updateable: true });

  expect(await c.createMissingColumns(false)).toEqual([]);
  expect(posts()).toBe(wanted.length);

  // The new columns take values like any other.
  const id = sb.org.insert('opportunities', { name: 'After setup', estimatedvalue: 1 });
  await expect(c.writeBack([{ id, fields: { cosell_referralid: 'ref-1', cosell_howcanmicrosofthelp: 100_000_003, cosell_syncwithpartnercenter: true } }])).resolves.toMatchObject([
    { id, ok: true },
  ]);
  expect(sb.org.get('opportunities', id)).toMatchObject({ cosell_referralid: 'ref-1', cosell_howcanmicrosofthelp: 100_000_003, cosell_syncwithpartnercenter: true });
});
