/**
 * `setup dynamics365`: the write-back and co-sell columns the default mapping uses, created through
 * `EntityDefinitions(LogicalName='opportunity')/Attributes` when missing.
 */
import type { AttrDef } from './cosell-fields.js';

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
