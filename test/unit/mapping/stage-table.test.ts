/** The console's stage table: what the mapping makes of each live CRM stage, and by which part of the file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StageInfo } from '../../../connectors/connector.js';
import { stageTable, validateMappingText, type Mapping } from '../../../src/mapping/index.js';

const base = (): Mapping => {
  const r = validateMappingText(readFileSync('mappings/salesforce.yaml', 'utf8'), 'salesforce.yaml');
  if (!r.ok) throw new Error('the shipped mapping must be valid');
  return r.mapping;
};
const stage = (value: string, probability: number | undefined, more: Partial<StageInfo> = {}): StageInfo => ({
  field: 'StageName',
  value,
  label: value,
  active: true,
  isClosed: false,
  isWon: false,
  ...(probability === undefined ? {} : { probability }),
  ...more,
});

describe('stageTable', () => {
  it('names the mapped target and its source; an unlisted stage is unmapped, with a suggestion from its probability', () => {
    const m = base();
    const rows = stageTable(m, [stage('Needs Analysis', 20), stage('Brand New Stage', 62), stage('Old Stage', 10, { active: false }), stage('Other field', 10, { field: 'Type' })]);
    expect(rows.map((r) => r.value)).toEqual(['Needs Analysis', 'Brand New Stage']);
    expect(rows[0]).toMatchObject({ mapped: m.stages.map['Needs Analysis'], by: 'map', probability: 20 });
    expect(rows[1]).toMatchObject({ mapped: null, by: null, suggested: 'Propose' });
  });

  it('a rule on the stage field wins over the map; probability ranges map what the map does not list', () => {
    const m = base();
    m.stages.rules = [{ field: 'StageName', equals: 'Needs Analysis', stage: 'ignore' }];
    m.stages.byProbability = { field: 'Probability', ranges: [{ min: 50, max: 70, stage: 'Develop' }] };
    const [ruled, ranged, outside] = stageTable(m, [stage('Needs Analysis', 20), stage('Brand New Stage', 62), stage('Long Shot', 5)]);
    expect(ruled).toMatchObject({ mapped: 'ignore', by: 'rule' });
    expect(ranged).toMatchObject({ mapped: 'Develop', by: 'probability' });
    expect(outside).toMatchObject({ mapped: null, by: null, suggested: 'initial' });
  });

  it('closed stages suggest Won, Lost or declined by what the CRM says', () => {
    const rows = stageTable(base(), [stage('Won It', 100, { isClosed: true, isWon: true }), stage('Gone', 0, { isClosed: true }), stage('Declined by us', 0, { isClosed: true })]);
    expect(rows.map((r) => r.suggested)).toEqual(['Won', 'Lost', 'declined']);
    expect(rows.map((r) => [r.closed, r.won])).toEqual([
      [true, true],
      [true, false],
      [true, false],
    ]);
  });
});
