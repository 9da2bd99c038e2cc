/**
 * The sandbox's org: sObjects in memory with Salesforce's write semantics — 18-character ids with key
 * prefixes, SystemModstamp at second precision on every write (ties are normal), soft delete, required fields,
 * restricted StageName picklist, probability and IsClosed/IsWon from the stage, declared custom fields.
 */
import { randomBytes } from 'node:crypto';
import { COSELL_ACTIVITY_FIELDS, CUSTOM_OPPORTUNITY_FIELDS, type FieldDef, type FieldType } from '../../connectors/salesforce/index.js';

export interface StageDef {
  ApiName: string;
  MasterLabel: string;
  DefaultProbability: number;
  IsActive: boolean;
  IsClosed: boolean;
  IsWon: boolean;
  SortOrder: number;
}

/** The default org stages plus the custom ones the co-sell mapping uses. */
export const DEFAULT_STAGES: StageDef[] = [
  ['Prospecting', 10, false, false],
  ['Qualification', 10, false, false],
  ['Needs Analysis', 20, false, false],
  ['Solution Design', 30, false, false],
  ['Value Proposition', 50, false, false],
  ['Id. Decision Makers', 60, false, false],
  ['Perception Analysis', 70, false, false],
  ['Proposal/Price Quote', 75, false, false],
  ['Negotiation/Review', 90, false, false],
  ['Microsoft Referral – On Hold', 10, false, false],
  ['Closed Won', 100, true, true],
  ['Closed Lost', 0, true, false],
  ['Declined Referral', 0, true, false],
].map(([name, p, closed, won], i) => ({
  ApiName: name as string,
  MasterLabel: name as string,
  DefaultProbability: p as number,
  IsActive: true,
  IsClosed: closed as boolean,
  IsWon: won as boolean,
  SortOrder: i + 1,
}));

export type { FieldDef, FieldType };

const SYSTEM: FieldDef[] = [
  { name: 'Id', type: 'id', updateable: false },
  { name: 'IsDeleted', type: 'boolean', updateable: false },
  { name: 'CreatedDate', type: 'datetime', updateable: false },
  { name: 'LastModifiedDate', type: 'datetime', updateable: false },
  { name: 'SystemModstamp', type: 'datetime', updateable: false },
];

export const SCHEMA: Record<string, { prefix: string; fields: FieldDef[]; required: string[] }> = {
  Opportunity: {
    prefix: '006',
    required: ['Name', 'StageName', 'CloseDate'],
    fields: [
      ...SYSTEM,
      { name: 'Name', type: 'string', length: 120 },
      { name: 'StageName', type: 'picklist' },
      { name: 'Probability', type: 'percent' },
      { name: 'Amount', type: 'currency' },
      { name: 'CurrencyIsoCode', type: 'picklist', picklistValues: ['USD', 'EUR', 'GBP', 'JPY', 'AUD', 'CAD'] },
      { name: 'CloseDate', type: 'date' },
      { name: 'Description', type: 'textarea', length: 32000 },
      { name: 'IsClosed', type: 'boolean', updateable: false },
      { name: 'IsWon', type: 'boolean', updateable: false },
      { name: 'AccountId', type: 'reference', referenceTo: 'Account', relationshipName: 'Account', childRelationshipName: 'Opportunities' },
      { name: 'OwnerId', type: 'reference', referenceTo: 'User', relationshipName: 'Owner' },
      { name: 'CampaignId', type: 'reference', referenceTo: 'Campaign', relationshipName: 'Campaign' },
      ...CUSTOM_OPPORTUNITY_FIELDS,
    ],
  },
  Account: {
    prefix: '001',
    required: ['Name'],
    fields: [
      ...SYSTEM,
      { name: 'Name', type: 'string', length: 255 },
      { name: 'BillingStreet', type: 'textarea' },
      { name: 'BillingCity', type: 'string' },
      { name: 'BillingState', type: 'string' },
      { name: 'BillingPostalCode', type: 'string' },
      { name: 'BillingCountry', type: 'string' },
      { name: 'OwnerId', type: 'reference', referenceTo: 'User', relationshipName: 'Owner' },
    ],
  },
  User: {
    prefix: '005',
    required: ['LastName'],
    fields: [
      ...SYSTEM,
      { name: 'FirstName', type: 'string' },
      { name: 'LastName', type: 'string' },
      { name: 'Name', type: 'string', updateable: false },
      { name: 'Email', type: 'email' },
      { name: 'Phone', type: 'phone' },
      { name: 'Username', type: 'string' },
      { name: 'IsActive', type: 'boolean' },
    ],
  },
  // Notifications to the rep (issue 17): a Task on the opportunity, keyed by the co-sell event it reports.
  Task: {
    prefix: '00T',
    required: ['Subject'],
    fields: [
      ...SYSTEM,
      { name: 'Subject', type: 'string', length: 255 },
      { name: 'Description', type: 'textarea', length: 32000 },
      { name: 'Status', type: 'picklist', picklistValues: ['Not Started', 'In Progress', 'Completed'] },
      { name: 'Priority', type: 'picklist', picklistValues: ['High', 'Normal', 'Low'] },
      { name: 'ActivityDate', type: 'date' },
      { name: 'WhatId', type: 'reference', referenceTo: 'Opportunity', relationshipName: 'What' },
      { name: 'OwnerId', type: 'reference', referenceTo: 'User', relationshipName: 'Owner' },
      ...COSELL_ACTIVITY_FIELDS,
    ],
  },
};

export class SalesforceApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

export type Row = Record<string, unknown>;

/** 18-character Salesforce id: prefix, pod, counter, and the case-safe 3-character suffix. */
function makeId(prefix: string, n: number): string {
  const body = `${prefix}5g000${n.toString(36).toUpperCase().padStart(7, '0')}`.slice(0, 15);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let i = 0; i < 3; i++) {
    let flags = 0;
    for (let j = 0; j < 5; j++) {
      const c = body[i * 5 + j]!;
      if (c >= 'A' && c <= 'Z') flags += 1 << j;
    }
    suffix += chars[flags];
  }
  return body + suffix;
}

export function sfDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export interface OrgOptions {
  now?: () => number;
  stages?: StageDef[];
}

export class Org {
  readonly stages: StageDef[];
  private readonly tables = new Map<string, Map<string, Row>>();
  private counter = 0;
  private readonly now: () => number;
  /** Rows per object in SystemModstamp order (appended on write; stale entries skipped on read). */
  private readonly changeLog = new Map<string, { id: string; stamp: number }[]>();
  /** Resolved field names and relationships by `object|name`: queries ask for the same few thousands of times. */
  private readonly names = new Map<string, string>();
  private readonly relations = new Map<string, FieldDef | undefined>();
  /** Open all-or-none unit: each touched row's state before it (undefined = it did not exist). */
  private undo: { object: string; id: string; before: Row | undefined }[] | null = null;

  constructor(opts: OrgOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.stages = opts.stages ?? DEFAULT_STAGES;
    for (const o of Object.keys(SCHEMA)) {
      this.tables.set(o, new Map());
      this.changeLog.set(o, []);
    }
  }

  table(object: string): Map<string, Row> {
    const t = this.tables.get(object);
    if (!t) throw new SalesforceApiError(404, 'NOT_FOUND', `sObject type '${object}' is not supported.`);
    return t;
  }

  schema(object: string) {
    // The name comes from the URL: own keys only (`constructor`, `__proto__` are not sObjects).
    const s = Object.hasOwn(SCHEMA, object) ? SCHEMA[object] : undefined;
    if (!s) throw new SalesforceApiError(404, 'NOT_FOUND', `sObject type '${object}' is not supported.`);
    return s;
  }

  /** Second precision, like Salesforce: many writes share one SystemModstamp. */
  private stamp(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }

  private validate(object: string, fields: Row, creating: boolean): Row {
    const s = this.schema(object);
    const defs = new Map(s.fields.map((f) => [f.name.toLowerCase(), f]));
    const out: Row = {};
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'attributes' || k.toLowerCase() === 'id') continue;
      const def = defs.get(k.toLowerCase());
      if (!def) throw new SalesforceApiError(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${object}`, [k]);
      if (def.updateable === false)
        throw new SalesforceApiError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${def.name}. Please check the security settings of this field.`, [
          def.name,
        ]);
      out[def.name] = this.coerce(object, def, v);
    }
    if (creating) {
      for (const r of s.required) {
        if (out[r] === undefined || out[r] === null || out[r] === '') {
          throw new SalesforceApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${r}]`, [r]);
        }
      }
    }
    return out;
  }

  private coerce(object: string, def: FieldDef, v: unknown): unknown {
    if (v === null || v === undefined || v === '') {
      if (this.schema(object).required.includes(def.name)) throw new SalesforceApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${def.name}]`, [def.name]);
      return def.type === 'boolean' ? false : null;
    }
    const bad = (what: string) => new SalesforceApiError(400, 'INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.name}: value not of required type: ${what}`, [def.name]);
    switch (def.type) {
      case 'double':
      case 'currency':
      case 'percent': {
        const n = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(n)) throw bad(String(v));
        return n;
      }
      case 'boolean':
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === 'false') return v === 'true';
        throw bad(String(v));
      case 'date': {
        const s = String(v).slice(0, 10);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(s))) throw bad(String(v));
        return s;
      }
      case 'datetime': {
        const t = Date.parse(String(v));
        if (Number.isNaN(t)) throw bad(String(v));
        return sfDateTime(t);
      }
      case 'picklist': {
        const s = String(v);
        if (def.name === 'StageName') {
          if (!this.stages.some((st) => st.ApiName === s && st.IsActive)) {
            throw new SalesforceApiError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Stage: bad value for restricted picklist field: ${s}`, ['StageName']);
          }
        } else if (def.picklistValues && !def.picklistValues.includes(s)) {
          throw new SalesforceApiError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${def.label ?? def.name}: bad value for restricted picklist field: ${s}`, [def.name]);
        }
        return s;
      }
      case 'reference': {
        const s = String(v);
        if (def.referenceTo && this.tables.has(def.referenceTo) && !this.table(def.referenceTo).has(s)) {
          throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [def.name]);
        }
        return s;
      }
      default: {
        const s = typeof v === 'string' ? v : String(v);
        if (def.length && s.length > def.length)
          throw new SalesforceApiError(400, 'STRING_TOO_LONG', `${def.label ?? def.name}: data value too large: ${s.slice(0, 40)}… (max length=${def.length})`, [def.name]);
        return s;
      }
    }
  }

  private derive(object: string, row: Row, changed: Row): void {
    if (object === 'Opportunity' && 'StageName' in changed) {
      const st = this.stages.find((s) => s.ApiName === row.StageName);
      if (st) {
        row.IsClosed = st.IsClosed;
        row.IsWon = st.IsWon;
        if (!('Probability' in changed)) row.Probability = st.DefaultProbability;
      }
    }
    if (object === 'User') row.Name = [row.FirstName, row.LastName].filter(Boolean).join(' ');
  }

  private touch(object: string, row: Row, created: boolean): void {
    const t = this.stamp();
    const iso = sfDateTime(t);
    if (created) row.CreatedDate = iso;
    row.LastModifiedDate = iso;
    row.SystemModstamp = iso;
    this.changeLog.get(object)!.push({ id: row.Id as string, stamp: t });
  }

  /**
   * Run writes as one all-or-none unit (collections and composite `allOrNone`): if `fn` throws, every row
   * written since the start is put back as it was and the error is rethrown. A unit that awaits (composite
   * subrequests) also undoes writes of requests that interleaved with it — acceptable in a sandbox.
   */
  atomically<T>(fn: () => T): T {
    if (this.undo) return fn();
    this.undo = [];
    try {
      const out = fn();
      this.undo = null;
      return out;
    } catch (err) {
      this.rollback();
      throw err;
    }
  }

  async atomicallyAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (this.undo) return fn();
    this.undo = [];
    try {
      const out = await fn();
      this.undo = null;
      return out;
    } catch (err) {
      this.rollback();
      throw err;
    }
  }

  private rollback(): void {
    const log = this.undo ?? [];
    this.undo = null;
    for (const u of log.reverse()) {
      const t = this.table(u.object);
      if (u.before) t.set(u.id, u.before);
      else t.delete(u.id);
    }
  }

  private remember(object: string, id: string): void {
    if (!this.undo) return;
    const row = this.table(object).get(id);
    this.undo.push({ object, id, before: row ? { ...row } : undefined });
  }

  /** The sObject type of an id, from its key prefix. */
  objectOfId(id: string): string | undefined {
    return Object.entries(SCHEMA).find(([, s]) => id.startsWith(s.prefix))?.[0];
  }

  insert(object: string, fields: Row): string {
    const clean = this.validate(object, fields, true);
    const id = makeId(this.schema(object).prefix, ++this.counter);
    this.remember(object, id);
    const row: Row = { Id: id, IsDeleted: false };
    for (const f of this.schema(object).fields) if (!(f.name in row)) row[f.name] = f.type === 'boolean' ? false : null;
    Object.assign(row, clean);
    this.derive(object, row, clean);
    this.touch(object, row, true);
    this.table(object).set(id, row);
    return id;
  }

  get(object: string, id: string, includeDeleted = false): Row {
    const row = this.table(object).get(id) ?? this.table(object).get(this.to18(id));
    if (!row || (row.IsDeleted && !includeDeleted))
      throw new SalesforceApiError(404, row ? 'ENTITY_IS_DELETED' : 'NOT_FOUND', row ? 'entity is deleted' : 'The requested resource does not exist');
    return row;
  }

  private to18(id: string): string {
    if (id.length !== 15) return id;
    for (const k of this.tables.values()) for (const full of k.keys()) if (full.startsWith(id)) return full;
    return id;
  }

  update(object: string, id: string, fields: Row): void {
    const row = this.get(object, id);
    const clean = this.validate(object, fields, false);
    this.remember(object, String(row.Id));
    Object.assign(row, clean);
    this.derive(object, row, clean);
    this.touch(object, row, false);
  }

  remove(object: string, id: string): void {
    const row = this.get(object, id);
    this.remember(object, String(row.Id));
    row.IsDeleted = true;
    this.touch(object, row, false);
  }

  all(object: string, includeDeleted = false): Row[] {
    const rows = [...this.table(object).values()];
    return includeDeleted ? rows : rows.filter((r) => !r.IsDeleted);
  }

  count(object: string): number {
    return this.all(object).length;
  }

  /**
   * Candidate rows for `SystemModstamp >= since`, without scanning the table: the change log is in stamp order.
   * Returns null when the query has no such bound (then the caller scans).
   */
  changedSince(object: string, since: number): Row[] {
    const log = this.changeLog.get(object)!;
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (log[mid]!.stamp < since) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<string>();
    const out: Row[] = [];
    const table = this.table(object);
    for (let i = lo; i < log.length; i++) {
      const id = log[i]!.id;
      if (seen.has(id)) continue;
      seen.add(id);
      const row = table.get(id);
      if (row) out.push(row);
    }
    return out;
  }

  /** Follow a relationship path (`Account.BillingCountry`, `Owner.Email`) from a row. */
  resolve(object: string, row: Row, path: string): unknown {
    const dot = path.indexOf('.');
    if (dot < 0) return row[path] ?? row[this.fieldName(object, path)];
    const rel = this.relation(object, path.slice(0, dot));
    if (!rel?.referenceTo) return undefined;
    const id = row[rel.name];
    if (typeof id !== 'string') return null;
    const target = this.tables.get(rel.referenceTo)?.get(id);
    if (!target) return null;
    return this.resolve(rel.referenceTo, target, path.slice(dot + 1));
  }

  /** The child object and its lookup behind a parent's child-relationship name (`Opportunities` on Account). */
  childRelation(object: string, relationshipName: string): { object: string; field: string } | undefined {
    for (const [child, s] of Object.entries(SCHEMA)) {
      const f = s.fields.find((d) => d.referenceTo === object && d.childRelationshipName?.toLowerCase() === relationshipName.toLowerCase());
      if (f) return { object: child, field: f.name };
    }
    return undefined;
  }

  /** The lookup field behind a relationship name (`Account` → AccountId), case-insensitive. */
  relation(object: string, relationshipName: string): FieldDef | undefined {
    const key = `${object}|${relationshipName}`;
    if (!this.relations.has(key)) {
      this.relations.set(
        key,
        this.schema(object).fields.find((f) => f.relationshipName?.toLowerCase() === relationshipName.toLowerCase()),
      );
    }
    return this.relations.get(key);
  }

  fieldName(object: string, name: string): string {
    const key = `${object}|${name}`;
    const known = this.names.get(key);
    if (known) return known;
    const parts = name.split('.');
    let resolved: string;
    if (parts.length > 1) {
      const rel = this.relation(object, parts[0]!);
      if (!rel?.referenceTo || !rel.relationshipName) throw new SalesforceApiError(400, 'INVALID_FIELD', `Didn't understand relationship '${parts[0]}' in field path.`);
      resolved = `${rel.relationshipName}.${this.fieldName(rel.referenceTo, parts.slice(1).join('.'))}`;
    } else {
      const def = this.schema(object).fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (!def)
        throw new SalesforceApiError(
          400,
          'INVALID_FIELD',
          `No such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
        );
      resolved = def.name;
    }
    this.names.set(key, resolved);
    return resolved;
  }
}

export function randomToken(): string {
  return randomBytes(24).toString('base64url');
}
