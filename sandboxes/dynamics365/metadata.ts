/**
 * `EntityDefinitions` as Dataverse answers it: every entity, one entity, its attribute collection, one attribute,
 * each optionally cast to a derived metadata type (`Microsoft.Dynamics.CRM.PicklistAttributeMetadata`), with
 * `$select` and `$expand=OptionSet`. Segment names, key properties and casts match case-insensitively, like
 * Dataverse's URL resolver, so third-party clients that lower-case them are answered.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DataverseError, SALES_STAGE_OPTIONS, STATUS_OPTIONS, type AttrDef, type AttrType, type Dataverse, type Row, type TableDef } from './dataverse.js';

/** The derived metadata type of each attribute type (the `@odata.type` and the cast segment). */
const METADATA_TYPE: Record<AttrType, string> = {
  Uniqueidentifier: 'UniqueIdentifierAttributeMetadata',
  String: 'StringAttributeMetadata',
  Memo: 'MemoAttributeMetadata',
  Money: 'MoneyAttributeMetadata',
  Decimal: 'DecimalAttributeMetadata',
  Integer: 'IntegerAttributeMetadata',
  DateTime: 'DateTimeAttributeMetadata',
  DateOnly: 'DateTimeAttributeMetadata',
  Boolean: 'BooleanAttributeMetadata',
  Picklist: 'PicklistAttributeMetadata',
  State: 'StateAttributeMetadata',
  Status: 'StatusAttributeMetadata',
  Lookup: 'LookupAttributeMetadata',
};
const OPTION_TYPES = new Set<AttrType>(['Picklist', 'State', 'Status', 'Boolean']);

/** `EntityDefinitions(LogicalName='x')[/Attributes[(LogicalName='y')][/Microsoft.Dynamics.CRM.T]]`. */
const PATH = /^entitydefinitions\(\s*logicalname\s*=\s*'([^']+)'\s*\)(?:\/(attributes)(?:\(\s*logicalname\s*=\s*'([^']+)'\s*\))?(?:\/microsoft\.dynamics\.crm\.(\w+))?)?$/i;

export function isMetadataPath(path: string): boolean {
  return /^entitydefinitions(\(|$)/i.test(path);
}

/** A stable id per name, so MetadataId is the same across restarts. */
const metadataId = (name: string) => {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const label = (text: string) => ({ UserLocalizedLabel: { Label: text, LanguageCode: 1033 }, LocalizedLabels: [{ Label: text, LanguageCode: 1033 }] });

function optionSet(a: AttrDef): Row {
  if (a.type === 'Boolean') return { Name: a.name, OptionSetType: 'Boolean', TrueOption: { Value: 1, Label: label('Yes') }, FalseOption: { Value: 0, Label: label('No') } };
  const options =
    a.type === 'Status'
      ? STATUS_OPTIONS.map((s) => ({ Value: s.value, State: s.state, Label: label(s.label) }))
      : (a.options ?? (a.name === 'salesstage' ? SALES_STAGE_OPTIONS : [])).map((s) => ({ Value: s.value, Label: label(s.label) }));
  return { Name: a.name, OptionSetType: a.type === 'Picklist' ? 'Picklist' : a.type, Options: options };
}

function describeAttribute(dv: Dataverse, t: TableDef, a: AttrDef): Row {
  const type = METADATA_TYPE[a.type];
  return {
    '@odata.type': `#Microsoft.Dynamics.CRM.${type}`,
    MetadataId: metadataId(`${t.logicalName}.${a.name}`),
    LogicalName: a.name,
    SchemaName: a.name,
    EntityLogicalName: t.logicalName,
    AttributeType: a.type === 'DateOnly' ? 'DateTime' : a.type,
    AttributeTypeName: { Value: `${a.type === 'DateOnly' ? 'DateTime' : a.type}Type` },
    IsCustomAttribute: a.custom === true,
    IsPrimaryId: a.name === t.key,
    IsValidForCreate: a.readOnly !== true,
    IsValidForUpdate: a.readOnly !== true,
    RequiredLevel: { Value: a.required ?? 'None', CanBeChanged: a.required !== 'SystemRequired', ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
    DisplayName: label(a.name),
    ...(a.maxLength ? { MaxLength: a.maxLength } : {}),
    ...(a.type === 'DateOnly' ? { Format: 'DateOnly' } : a.type === 'DateTime' ? { Format: 'DateAndTime' } : {}),
    // A target the sandbox has no table for (campaigns) still names its entity, as Dataverse's metadata does.
    ...(a.type === 'Lookup' && a.target ? { Targets: [dv.tables.get(a.target)?.logicalName ?? a.target.replace(/s$/, '')] } : {}),
  };
}

function describeEntity(t: TableDef): Row {
  return {
    MetadataId: metadataId(t.logicalName),
    LogicalName: t.logicalName,
    SchemaName: t.logicalName.charAt(0).toUpperCase() + t.logicalName.slice(1),
    EntitySetName: t.set,
    LogicalCollectionName: t.set,
    PrimaryIdAttribute: t.key,
    PrimaryNameAttribute: t.attrs.find((a) => a.name === 'name' || a.name === 'fullname')?.name ?? null,
    IsCustomEntity: false,
    DisplayName: label(t.logicalName),
  };
}

/** `$select` keeps MetadataId (always returned) and what `$expand` asked for; names match case-insensitively. */
function shape(row: Row, select: string | null, expand: Set<string>, expandable: Row): Row {
  const out: Row = {};
  const wanted = select ? select.split(',').map((s) => s.trim().toLowerCase()) : null;
  for (const [k, v] of Object.entries(row)) {
    if (!wanted || k.startsWith('@') || k === 'MetadataId' || wanted.includes(k.toLowerCase())) out[k] = v;
  }
  for (const [k, v] of Object.entries(expandable)) if (expand.has(k.toLowerCase())) out[k] = v;
  return out;
}

const labelSchema = z.looseObject({ LocalizedLabels: z.array(z.looseObject({ Label: z.string(), LanguageCode: z.number().int() })).min(1) });
/** The column types the sandbox can create, by the `@odata.type` of the POSTed definition. */
const CREATABLE: Record<string, AttrType> = {
  StringAttributeMetadata: 'String',
  MemoAttributeMetadata: 'Memo',
  BooleanAttributeMetadata: 'Boolean',
  PicklistAttributeMetadata: 'Picklist',
};

/** A column definition POSTed to `EntityDefinitions(…)/Attributes`, as the Web API documents it. */
const columnSchema = z.looseObject({
  '@odata.type': z
    .string()
    .transform((t) => t.replace(/^#?Microsoft\.Dynamics\.CRM\./, ''))
    .pipe(z.enum(Object.keys(CREATABLE) as [string, ...string[]], { error: `expected Microsoft.Dynamics.CRM.<${Object.keys(CREATABLE).join(' | ')}>` }))
    .transform((t) => CREATABLE[t]!),
  SchemaName: z.string().regex(/^[A-Za-z]+_[A-Za-z0-9_]+$/, { error: 'a custom column needs a SchemaName with the publisher prefix, e.g. cosell_referralid' }),
  DisplayName: labelSchema,
  MaxLength: z.number().int().positive().optional(),
  // A choice column's options; a yes/no column's OptionSet has TrueOption/FalseOption instead.
  OptionSet: z.looseObject({ Options: z.array(z.looseObject({ Value: z.number().int(), Label: labelSchema })).optional() }).optional(),
});

/** The column a create request defines; a definition of another shape is Dataverse's 400 naming the field. */
export function columnFromRequest(body: unknown): AttrDef {
  const parsed = columnSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DataverseError(400, '0x80044363', `Invalid column definition: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const d = parsed.data;
  const type = d['@odata.type'];
  return {
    name: d.SchemaName.toLowerCase(),
    type,
    custom: true,
    ...(d.MaxLength && (type === 'String' || type === 'Memo') ? { maxLength: d.MaxLength } : {}),
    ...(type === 'Picklist' ? { options: (d.OptionSet?.Options ?? []).map((o) => ({ value: o.Value, label: o.Label.LocalizedLabels[0]!.Label })) } : {}),
  };
}

export function metadataResponse(dv: Dataverse, path: string, query: URLSearchParams, baseUrl: string): Row {
  if (/^entitydefinitions$/i.test(path)) {
    // What clients read to map logical names to entity set names.
    return { '@odata.context': `${baseUrl}/$metadata#EntityDefinitions`, value: [...dv.tables.values()].map((t) => shape(describeEntity(t), query.get('$select'), new Set(), {})) };
  }
  const m = PATH.exec(path);
  if (!m) throw new DataverseError(404, '0x80060888', `Resource not found for the segment '${path.split('/').pop()}'.`);
  const t = dv.byLogicalName.get(m[1]!.toLowerCase());
  if (!t) throw new DataverseError(404, '0x80040217', `Could not find an entity with name ${m[1]}.`);
  const cast = m[4] ? Object.values(METADATA_TYPE).find((n) => n.toLowerCase() === m[4]!.toLowerCase()) : undefined;
  if (m[4] && !cast) throw new DataverseError(404, '0x80060888', `Resource not found for the segment 'Microsoft.Dynamics.CRM.${m[4]}'.`);
  const expand = new Set(
    (query.get('$expand') ?? '')
      .split(',')
      .map((s) => s.trim().replace(/\(.*$/, '').toLowerCase())
      .filter(Boolean),
  );
  const select = query.get('$select');
  const context = `${baseUrl}/$metadata#EntityDefinitions('${t.logicalName}')`;
  const attribute = (a: AttrDef) => shape(describeAttribute(dv, t, a), select, expand, OPTION_TYPES.has(a.type) ? { OptionSet: optionSet(a) } : {});

  if (!m[2]) {
    const entity = describeEntity(t);
    return {
      '@odata.context': `${baseUrl}/$metadata#EntityDefinitions/$entity`,
      ...shape(entity, select, expand, { Attributes: t.attrs.map((a) => describeAttribute(dv, t, a)) }),
    };
  }
  if (!m[3]) {
    const attrs = cast ? t.attrs.filter((a) => METADATA_TYPE[a.type] === cast) : t.attrs;
    return { '@odata.context': `${context}/Attributes${cast ? `/Microsoft.Dynamics.CRM.${cast}` : ''}`, value: attrs.map(attribute) };
  }
  const a = t.attrs.find((x) => x.name === m[3]!.toLowerCase());
  if (!a) throw new DataverseError(404, '0x80040217', `Could not find an attribute with name ${m[3]} on entity ${t.logicalName}.`);
  if (cast && METADATA_TYPE[a.type] !== cast) throw new DataverseError(400, '0x80060888', `The attribute ${a.name} is a ${METADATA_TYPE[a.type]}, not a ${cast}.`);
  return { '@odata.context': `${context}/Attributes(${a.name})${cast ? `/Microsoft.Dynamics.CRM.${cast}` : ''}/$entity`, ...attribute(a) };
}
