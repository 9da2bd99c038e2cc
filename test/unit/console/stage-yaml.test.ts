/** The console's stage-table save: only `stages.map` entries change, comments stay, Dataverse keys are matched by text. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { withStageChoices } from '../../../console/src/stage-yaml.js';

describe('withStageChoices', () => {
  it('adds, changes and removes map entries and leaves the rest of the text as it was', () => {
    const text = readFileSync('mappings/salesforce.yaml', 'utf8').replace('    Value Proposition: Developed\n', '');
    const out = withStageChoices(text, { 'Value Proposition': 'Developed', Prospecting: 'ignore', Qualification: '' });
    const map = (parse(out) as { stages: { map: Record<string, string> } }).stages.map;
    expect(map).toMatchObject({ 'Value Proposition': 'Developed', Prospecting: 'ignore' });
    expect(map).not.toHaveProperty('Qualification');
    expect(out).toContain('# What to write when the referral side moves the deal');
    const untouched = (t: string) => t.split('\n').filter((l) => !/^ {4}(Value Proposition|Prospecting|Qualification):/.test(l));
    expect(untouched(out)).toEqual(untouched(text));
  });

  it('changes a Dataverse option key in place, quoted or numeric, instead of adding a second one', () => {
    for (const key of ['"0"', '0']) {
      const text = `crm: dynamics365\nstages:\n  field: salesstage\n  map:\n    ${key}: Qualified # qualify\n    "1": Developed\n`;
      const out = withStageChoices(text, { '0': 'initial' });
      expect(out.match(/^ {4}"?0"?:/gm), key).toHaveLength(1);
      expect(out).toContain(`${key}: initial # qualify`);
    }
  });
});
