/**
 * `setup salesforce`: a Metadata API deploy package (mdapi format: package.xml + objects/Opportunity.object +
 * a permission set granting the integration user field access) for the co-sell fields, and a describe-based
 * check of which already exist. Admins deploy it with their usual tooling, e.g.
 * `sf project deploy start --metadata-dir <out>` or a Workbench zip deploy.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FieldInfo } from '../index.js';
import { COSELL_ACTIVITY_FIELDS, type FieldDef } from './cosell-fields.js';

/** The co-sell fields to create (cosell-fields.ts, which the sandbox declares too). */
export type CosellFieldSpec = FieldDef;

export const PERMISSION_SET = 'Cosell_Sync_Integration';

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const SF_TYPE: Partial<Record<CosellFieldSpec['type'], string>> = { boolean: 'Checkbox', picklist: 'Picklist', string: 'Text', url: 'Url', email: 'Email', phone: 'Phone' };

function fieldXml(f: CosellFieldSpec): string {
  const lines = [
    `        <fullName>${f.name}</fullName>`,
    `        <label>${xml(f.label ?? f.name)}</label>`,
    `        <description>Managed by cosell-sync.</description>`,
    `        <type>${SF_TYPE[f.type] ?? 'Text'}</type>`,
  ];
  if (f.type === 'boolean') lines.push(`        <defaultValue>false</defaultValue>`);
  if (f.type === 'string') lines.push(`        <length>${f.length ?? 255}</length>`, `        <required>false</required>`, `        <unique>false</unique>`);
  if (f.type === 'url') lines.push(`        <required>false</required>`);
  if (f.externalId) lines.push(`        <externalId>true</externalId>`);
  if (f.type === 'picklist') {
    const values = (f.picklistValues ?? []).map(
      (v) =>
        `                <value>\n                    <fullName>${xml(v)}</fullName>\n                    <default>false</default>\n                    <label>${xml(v)}</label>\n                </value>`,
    );
    lines.push(
      `        <valueSet>\n            <restricted>true</restricted>\n            <valueSetDefinition>\n                <sorted>false</sorted>\n${values.join('\n')}\n            </valueSetDefinition>\n        </valueSet>`,
    );
  }
  return `    <fields>\n${lines.join('\n')}\n    </fields>`;
}

/** Files of the package, path → content. */
export function buildDeployPackage(fields: CosellFieldSpec[], apiVersion: string): Map<string, string> {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  const files = new Map<string, string>();
  // Task custom fields live on Activity in the Metadata API; always packaged (a deploy of an existing field leaves it as it is).
  const all = [...fields.map((f) => ({ object: 'Opportunity', f })), ...COSELL_ACTIVITY_FIELDS.map((f) => ({ object: 'Activity', f }))];
  files.set(
    'package.xml',
    [
      head,
      '<Package xmlns="http://soap.sforce.com/2006/04/metadata">',
      '    <types>',
      ...all.map(({ object, f }) => `        <members>${object}.${f.name}</members>`),
      '        <name>CustomField</name>',
      '    </types>',
      '    <types>',
      `        <members>${PERMISSION_SET}</members>`,
      '        <name>PermissionSet</name>',
      '    </types>',
      `    <version>${apiVersion}</version>`,
      '</Package>',
      '',
    ].join('\n'),
  );
  files.set('objects/Opportunity.object', [head, '<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">', ...fields.map(fieldXml), '</CustomObject>', ''].join('\n'));
  files.set(
    'objects/Activity.object',
    [head, '<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">', ...COSELL_ACTIVITY_FIELDS.map(fieldXml), '</CustomObject>', ''].join('\n'),
  );
  files.set(
    `permissionsets/${PERMISSION_SET}.permissionset`,
    [
      head,
      '<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">',
      '    <label>Co-sell Sync Integration</label>',
      '    <description>Field access the cosell-sync integration user needs on the co-sell fields.</description>',
      ...all.map(
        ({ object, f }) =>
          `    <fieldPermissions>\n        <editable>true</editable>\n        <field>${object}.${f.name}</field>\n        <readable>true</readable>\n    </fieldPermissions>`,
      ),
      '</PermissionSet>',
      '',
    ].join('\n'),
  );
  return files;
}

export function writeDeployPackage(dir: string, files: Map<string, string>): string[] {
  const written: string[] = [];
  for (const [path, content] of files) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(full);
  }
  return written;
}

export interface FieldCheck {
  existing: string[];
  missing: CosellFieldSpec[];
  /** Present but of another type than agreed (the deploy would fail or change it). */
  mismatched: { name: string; expected: string; actual: string }[];
}

export function checkFields(wanted: CosellFieldSpec[], described: FieldInfo[]): FieldCheck {
  const byName = new Map(described.map((f) => [f.name.toLowerCase(), f]));
  const check: FieldCheck = { existing: [], missing: [], mismatched: [] };
  for (const f of wanted) {
    const found = byName.get(f.name.toLowerCase());
    if (!found) check.missing.push(f);
    else if (found.type !== f.type) check.mismatched.push({ name: f.name, expected: f.type, actual: found.type });
    else check.existing.push(f.name);
  }
  return check;
}
