/**
 * `setup dynamics365`: the write-back and co-sell columns the default mapping uses, created through
 * `EntityDefinitions(LogicalName='opportunity')/Attributes` (and the task's) when missing.
 */
import type { FieldInfo } from '../index.js';
import { attributesSchema } from './answers.js';
import { COSELL_COLUMNS, COSELL_TASK_COLUMNS, type AttrDef } from './cosell-fields.js';
import type { WebApi } from './webapi-client.js';

const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [{ '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 }],
});

/** The Web API body that creates one column. */
export function columnDefinition(a: AttrDef): Record<string, unknown> {
  const common = {
    SchemaName: a.name,
    DisplayName: label(a.name.replace(/^cosell_/, 'Co-sell ').replace(/_/g, ' ')),
    Description: label('Managed by cosell-sync'),
    RequiredLevel: { Value: 'None', CanBeChanged: true, ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
  };
  if (a.type === 'Boolean') {
    return {
      '@odata.type': 'Microsoft.Dynamics.CRM.BooleanAttributeMetadata',
      ...common,
      OptionSet: { TrueOption: { Value: 1, Label: label('Yes') }, FalseOption: { Value: 0, Label: label('No') }, OptionSetType: 'Boolean' },
    };
  }
  if (a.type === 'Picklist') {
    return {
      '@odata.type': 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
      ...common,
      OptionSet: {
        '@odata.type': 'Microsoft.Dynamics.CRM.OptionSetMetadata',
        IsGlobal: false,
        OptionSetType: 'Picklist',
        Options: (a.options ?? []).map((o) => ({ Value: o.value, Label: label(o.label) })),
      },
    };
  }
  return { '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', ...common, MaxLength: a.maxLength ?? 255, FormatName: { Value: 'Text' } };
}

/** Create the co-sell columns that are missing (or only list them with `dryRun`); returns their names. */
export async function createMissingColumns(web: WebApi, describeFields: () => Promise<FieldInfo[]>, dryRun: boolean): Promise<string[]> {
  const existing = new Set((await describeFields()).map((f) => f.name.toLowerCase()));
  const taskColumns = await web.getAs('describe task', `EntityDefinitions(LogicalName='task')/Attributes`, attributesSchema);
  const existingOnTask = new Set(taskColumns.value.map((a) => a.LogicalName.toLowerCase()));
  const missing = [
    ...COSELL_COLUMNS.filter((c) => !existing.has(c.name)).map((c) => ({ table: 'opportunity', c })),
    ...COSELL_TASK_COLUMNS.filter((c) => !existingOnTask.has(c.name)).map((c) => ({ table: 'task', c })),
  ];
  const names = missing.map(({ table, c }) => (table === 'opportunity' ? c.name : `${table}.${c.name}`));
  if (dryRun) return names;
  for (const { table, c } of missing) {
    const label = `create column ${c.name}`;
    await web.request(
      label,
      'POST',
      `EntityDefinitions(LogicalName='${table}')/Attributes`,
      { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(columnDefinition(c)), idempotent: false },
      () => undefined,
    );
  }
  return names;
}
