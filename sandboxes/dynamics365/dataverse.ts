/**
 * The sandbox's Dataverse tables in memory: rows with a row version (the ETag), `modifiedon`, lookups stored as
 * `_x_value`, a change log for change tracking (updates and deletes since a version), and the rules that bite
 * syncs: Won/Lost only through the close actions (the API may still update a closed row), a stale If-Match is refused.
 */

import { COSELL_COLUMNS, COSELL_TASK_COLUMNS, type AttrDef, type AttrType } from '../../connectors/dynamics365/index.js';

export type Row = Record<string, unknown>;

export class DataverseError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type { AttrDef, AttrType };

export interface TableDef {
  set: string;
  logicalName: string;
  key: string;
  attrs: AttrDef[];
}

export const SALES_STAGE_OPTIONS = [
  { value: 0, label: 'Qualify' },
  { value: 1, label: 'Develop' },
  { value: 2, label: 'Propose' },
  { value: 3, label: 'Close' },
];
export const STATE_OPTIONS = [
  { value: 0, label: 'Open' },
  { value: 1, label: 'Won' },
  { value: 2, label: 'Lost' },
];
export const STATUS_OPTIONS = [
  { value: 1, label: 'In Progress', state: 0 },
  { value: 2, label: 'On Hold', state: 0 },
  { value: 3, label: 'Won', state: 1 },
  { value: 4, label: 'Canceled', state: 2 },
  { value: 5, label: 'Out-Sold', state: 2 },
];

export const TABLES: TableDef[] = [
  {
    set: 'opportunities',
    logicalName: 'opportunity',
    key: 'opportunityid',
    attrs: [
      { name: 'opportunityid', type: 'Uniqueidentifier', readOnly: true, required: 'SystemRequired' },
      { name: 'name', type: 'String', maxLength: 300, required: 'ApplicationRequired' },
      { name: 'estimatedvalue', type: 'Money' },
      { name: 'estimatedclosedate', type: 'DateOnly' },
      { name: 'closeprobability', type: 'Integer' },
      { name: 'salesstage', type: 'Picklist', options: SALES_STAGE_OPTIONS },
      { name: 'stepname', type: 'String', maxLength: 200 },
      { name: 'statecode', type: 'State', options: STATE_OPTIONS, required: 'SystemRequired' },
      { name: 'statuscode', type: 'Status', options: STATUS_OPTIONS },
      { name: 'description', type: 'Memo' },
      { name: 'parentaccountid', type: 'Lookup', target: 'accounts', nav: 'parentaccountid', required: 'Recommended' },
      { name: 'ownerid', type: 'Lookup', target: 'systemusers', nav: 'owninguser', required: 'SystemRequired' },
      { name: 'transactioncurrencyid', type: 'Lookup', target: 'transactioncurrencies', nav: 'transactioncurrencyid', required: 'ApplicationRequired' },
      { name: 'campaignid', type: 'Lookup', target: 'campaigns', nav: 'campaignid' },
      { name: 'parentcontactid', type: 'Lookup', target: 'contacts', nav: 'parentcontactid' },
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
      ...COSELL_COLUMNS,
    ],
  },
  {
    set: 'accounts',
    logicalName: 'account',
    key: 'accountid',
    attrs: [
      { name: 'accountid', type: 'Uniqueidentifier', readOnly: true },
      { name: 'name', type: 'String' },
      { name: 'address1_line1', type: 'String' },
      { name: 'address1_city', type: 'String' },
      { name: 'address1_stateorprovince', type: 'String' },
      { name: 'address1_postalcode', type: 'String' },
      { name: 'address1_country', type: 'String' },
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
    ],
  },
  {
    set: 'contacts',
    logicalName: 'contact',
    key: 'contactid',
    attrs: [
      { name: 'contactid', type: 'Uniqueidentifier', readOnly: true },
      { name: 'firstname', type: 'String' },
      { name: 'lastname', type: 'String' },
      { name: 'fullname', type: 'String', readOnly: true },
      { name: 'emailaddress1', type: 'String' },
      { name: 'telephone1', type: 'String' },
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
    ],
  },
  {
    set: 'systemusers',
    logicalName: 'systemuser',
    key: 'systemuserid',
    attrs: [
      { name: 'systemuserid', type: 'Uniqueidentifier', readOnly: true },
      { name: 'firstname', type: 'String' },
      { name: 'lastname', type: 'String' },
      { name: 'fullname', type: 'String', readOnly: true },
      { name: 'internalemailaddress', type: 'String' },
      { name: 'address1_telephone1', type: 'String' },
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
    ],
  },
  {
    set: 'transactioncurrencies',
    logicalName: 'transactioncurrency',
    key: 'transactioncurrencyid',
    attrs: [
      { name: 'transactioncurrencyid', type: 'Uniqueidentifier', readOnly: true },
      { name: 'isocurrencycode', type: 'String' },
      { name: 'currencyname', type: 'String' },
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
    ],
  },
  // Notifications to the rep (issue 17): a task activity regarding the opportunity, keyed by the co-sell event.
  {
    set: 'tasks',
    logicalName: 'task',
    key: 'activityid',
    attrs: [
      { name: 'activityid', type: 'Uniqueidentifier', readOnly: true },
      { name: 'subject', type: 'String', maxLength: 200 },
      { name: 'description', type: 'Memo' },
      { name: 'regardingobjectid', type: 'Lookup', target: 'opportunities', nav: 'regardingobjectid_opportunity_task' },
      { name: 'ownerid', type: 'Lookup', target: 'systemusers', nav: 'ownerid' },
      ...COSELL_TASK_COLUMNS,
      { name: 'createdon', type: 'DateTime', readOnly: true },
      { name: 'modifiedon', type: 'DateTime', readOnly: true },
    ],
  },
];

interface Stored {
  row: Row;
  version: number;
  deleted: boolean;
}

export interface Change {
  id: string;
  version: number;
}

export class Dataverse {
  private version = 1000;
  private readonly data = new Map<string, Map<string, Stored>>();
  /** Per table, in version order: what changed (the latest entry per id wins). */
  private readonly log = new Map<string, Change[]>();
  /** Each sandbox gets its own copy: added columns must not leak into another instance. */
  private readonly defs: TableDef[];
  readonly tables: Map<string, TableDef>;
  readonly byLogicalName: Map<string, TableDef>;
  /** Undo journal while a $batch change set runs (null otherwise). */
  private journal: { set: string; id: string; before: Stored | undefined }[] | null = null;

  private idCounter = 0;

  /**
   * Ids are deterministic (a fixed prefix and a counter) so a restarted sandbox seeded the same way has the same
   * records, and a sync state kept across restarts still matches them.
   */
  private newId(): string {
    const n = (++this.idCounter).toString(16).padStart(12, '0');
    return `${this.idPrefix}-0000-4000-8000-${n}`;
  }

  constructor(
    private readonly now: () => Date,
    private readonly idPrefix = 'd365a000',
    /** false: the org as a partner has it before `setup dynamics365` (no co-sell columns). */
    cosellColumns = true,
  ) {
    const cosell = new Set([...COSELL_COLUMNS, ...COSELL_TASK_COLUMNS].map((a) => a.name));
    this.defs = structuredClone(TABLES).map((t) => (cosellColumns ? t : { ...t, attrs: t.attrs.filter((a) => !cosell.has(a.name)) }));
    this.tables = new Map(this.defs.map((t) => [t.set, t]));
    this.byLogicalName = new Map(this.defs.map((t) => [t.logicalName, t]));
    for (const t of TABLES) {
      this.data.set(t.set, new Map());
      this.log.set(t.set, []);
    }
  }

  table(set: string): TableDef {
    const t = this.tables.get(set);
    if (!t) throw new DataverseError(404, '0x80060888', `Resource not found for the segment '${set}'.`);
    return t;
  }

  currentVersion(): number {
    return this.version;
  }

  etag(set: string, id: string): string {
    return `W/"${this.stored(set, id).version}"`;
  }

  private stored(set: string, id: string): Stored {
    const s = this.data.get(set)?.get(id.toLowerCase());
    if (!s || s.deleted) throw new DataverseError(404, '0x80040217', `${this.table(set).logicalName} With Id = ${id} Does Not Exist`);
    return s;
  }

  get(set: string, id: string): Row {
    return this.stored(set, id).row;
  }

  find(set: string, id: string): Row | undefined {
    const s = this.data.get(set)?.get(id.toLowerCase());
    return s && !s.deleted ? s.row : undefined;
  }

  all(set: string): Row[] {
    const out: Row[] = [];
    for (const s of this.data.get(set)?.values() ?? []) if (!s.deleted) out.push(s.row);
    return out;
  }

  rowVersion(set: string, id: string): number {
    return this.stored(set, id).version;
  }

  /** Apply a body's values with Dataverse's shapes: lookups via `nav@odata.bind`, option values, dates. */
  private apply(t: TableDef, row: Row, body: Row): void {
    for (const [k, v] of Object.entries(body)) {
      if (k.startsWith('@odata')) continue;
      const bind = /^(.+)@odata\.bind$/.exec(k);
      if (bind) {
        const attr = t.attrs.find((a) => a.type === 'Lookup' && (a.nav?.toLowerCase() === bind[1]!.toLowerCase() || a.name === bind[1]!.toLowerCase()));
        if (!attr)
          throw new DataverseError(
            400,
            '0x80060888',
            `An undeclared property '${bind[1]}' which only has property annotations in the payload but no property value was found in the payload.`,
          );
        if (v === null) {
          row[`_${attr.name}_value`] = null;
          continue;
        }
        const m = /(?:^|\/)([a-z]+)\(([0-9a-fA-F-]{36})\)$/.exec(String(v));
        if (!m || m[1] !== attr.target) throw new DataverseError(400, '0x80048d19', `Invalid reference '${String(v)}' for ${attr.nav}.`);
        if (attr.target !== 'campaigns' && !this.find(attr.target!, m[2]!)) throw new DataverseError(404, '0x80040217', `${attr.target} With Id = ${m[2]} Does Not Exist`);
        row[`_${attr.name}_value`] = m[2]!.toLowerCase();
        continue;
      }
      const attr = t.attrs.find((a) => a.name === k);
      if (!attr)
        throw new DataverseError(
          400,
          '0x80060888',
          `The property '${k}' does not exist on type 'Microsoft.Dynamics.CRM.${t.logicalName}'. Make sure to only use property names that are defined by the type.`,
        );
      if (attr.readOnly) continue;
      row[k] = this.coerce(attr, v);
    }
  }

  private coerce(a: AttrDef, v: unknown): unknown {
    if (v === null) return null;
    const bad = () =>
      new DataverseError(
        400,
        '0x80048d19',
        `Error identified in Payload provided by the user for Entity :'', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> InnerException : Microsoft.OData.ODataException: Cannot convert the literal '${String(v)}' to the expected type '${a.type}'.`,
      );
    switch (a.type) {
      case 'Money':
      case 'Decimal':
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad();
        return v;
      case 'Integer':
      case 'Picklist':
      case 'State':
      case 'Status':
        if (typeof v !== 'number' || !Number.isInteger(v)) throw bad();
        if (a.options && !a.options.some((o) => o.value === v)) throw new DataverseError(400, '0x8004431a', `${a.name}: value ${v} is outside the valid range of the option set`);
        return v;
      case 'Boolean':
        if (typeof v !== 'boolean') throw bad();
        return v;
      case 'DateOnly':
        if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw bad();
        return v;
      case 'DateTime':
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw bad();
        return new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z');
      default:
        if (typeof v !== 'string') throw bad();
        if (a.maxLength && v.length > a.maxLength)
          throw new DataverseError(
            400,
            '0x80044331',
            `A validation error occurred. The length of the '${a.name}' attribute of the '${a.name}' entity exceeded the maximum allowed length of '${a.maxLength}'.`,
          );
        return v;
    }
  }

  private remember(set: string, id: string): void {
    if (!this.journal) return;
    const before = this.data.get(set)!.get(id);
    this.journal.push({ set, id, before: before ? structuredClone(before) : undefined });
  }

  /** Run a change set atomically: every write in it lands, or none does. */
  atomically<T>(fn: () => T): T {
    const journal: NonNullable<typeof this.journal> = [];
    this.journal = journal;
    try {
      const out = fn();
      this.journal = null;
      return out;
    } catch (err) {
      for (const j of journal.reverse()) {
        if (j.before) this.data.get(j.set)!.set(j.id, j.before);
        else this.data.get(j.set)!.delete(j.id);
      }
      this.journal = null;
      throw err;
    }
  }

  private stamp(set: string, s: Stored): void {
    s.version = ++this.version;
    s.row.modifiedon = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    this.log.get(set)!.push({ id: String(s.row[this.table(set).key]), version: s.version });
  }

  insert(set: string, body: Row, id?: string): string {
    const t = this.table(set);
    const key = (id ?? (body[t.key] as string | undefined) ?? this.newId()).toLowerCase();
    if (this.data.get(set)!.get(key) && !this.data.get(set)!.get(key)!.deleted) {
      throw new DataverseError(412, '0x80040237', 'A record with matching key values already exists.');
    }
    this.remember(set, key);
    const row: Row = {};
    for (const a of t.attrs) row[a.type === 'Lookup' ? `_${a.name}_value` : a.name] = a.type === 'Boolean' ? false : null;
    row[t.key] = key;
    row.createdon = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    if (set === 'opportunities') {
      row.statecode = 0;
      row.statuscode = 1;
    }
    const { [t.key]: _ignored, ...rest } = body;
    this.apply(t, row, rest);
    this.derive(set, row);
    const s: Stored = { row, version: 0, deleted: false };
    this.data.get(set)!.set(key, s);
    this.stamp(set, s);
    return key;
  }

  update(set: string, id: string, body: Row, ifMatch?: string): void {
    const s = this.stored(set, id);
    this.remember(set, id.toLowerCase());
    if (ifMatch && ifMatch !== '*' && ifMatch !== `W/"${s.version}"`) {
      throw new DataverseError(412, '0x80060882', "The version of the existing record doesn't match the RowVersion property provided.");
    }
    if (set === 'opportunities') this.checkStateChange(s.row, body);
    this.apply(this.table(set), s.row, body);
    this.derive(set, s.row);
    this.stamp(set, s);
  }

  remove(set: string, id: string): void {
    const s = this.stored(set, id);
    this.remember(set, id.toLowerCase());
    s.deleted = true;
    this.stamp(set, s);
  }

  /**
   * Dataverse's state rules for an opportunity Update: a won or lost row is read-only in the app's form, but the
   * API may still update its columns; only the close itself needs WinOpportunity / LoseOpportunity, and an
   * Update may reopen it (statecode 0, status In Progress unless one is given).
   */
  private checkStateChange(row: Row, body: Row): void {
    const status = 'statuscode' in body ? STATUS_OPTIONS.find((o) => o.value === body.statuscode) : undefined;
    const target = status ? status.state : 'statecode' in body ? body.statecode : row.statecode;
    if (target === row.statecode) return;
    if (target === 1 || target === 2) {
      throw new DataverseError(
        400,
        '0x80040203',
        `The opportunity's state cannot be set to ${target === 1 ? 'Won' : 'Lost'} by an update. Use the ${target === 1 ? 'WinOpportunity' : 'LoseOpportunity'} action instead.`,
      );
    }
    if (target === 0 && !status) body.statuscode = 1;
  }

  /** WinOpportunity / LoseOpportunity. */
  close(id: string, outcome: 'won' | 'lost', status?: number): void {
    const s = this.stored('opportunities', id);
    this.remember('opportunities', id.toLowerCase());
    if (s.row.statecode !== 0) throw new DataverseError(400, '0x80043b09', 'The opportunity is already closed.');
    s.row.statecode = outcome === 'won' ? 1 : 2;
    s.row.statuscode = status ?? (outcome === 'won' ? 3 : 4);
    if (outcome === 'won') s.row.closeprobability = 100;
    this.stamp('opportunities', s);
  }

  private derive(set: string, row: Row): void {
    if (set === 'systemusers' || set === 'contacts') row.fullname = [row.firstname, row.lastname].filter(Boolean).join(' ');
    if (set === 'opportunities' && row.statuscode !== null) {
      const st = STATUS_OPTIONS.find((o) => o.value === row.statuscode);
      if (st && st.state !== row.statecode) row.statecode = st.state;
    }
  }

  /** Rows changed (latest state) and ids deleted after `since`, in version order. */
  changesSince(set: string, since: number): { changed: Row[]; deleted: string[] } {
    const log = this.log.get(set)!;
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (log[mid]!.version <= since) lo = mid + 1;
      else hi = mid;
    }
    const latest = new Map<string, number>();
    for (let i = lo; i < log.length; i++) latest.set(log[i]!.id, log[i]!.version);
    const changed: Row[] = [];
    const deleted: string[] = [];
    for (const [id, version] of [...latest.entries()].sort((a, b) => a[1] - b[1])) {
      const s = this.data.get(set)!.get(id);
      if (!s || s.version !== version) continue;
      if (s.deleted) deleted.push(id);
      else changed.push(s.row);
    }
    return { changed, deleted };
  }

  /** Add a column (EntityDefinitions POST). */
  addColumn(logicalName: string, attr: AttrDef): void {
    const t = this.byLogicalName.get(logicalName);
    if (!t) throw new DataverseError(404, '0x80040217', `Could not find entity ${logicalName}`);
    if (t.attrs.some((a) => a.name === attr.name)) throw new DataverseError(400, '0x80047013', `An attribute with the specified name ${attr.name} already exists`);
    t.attrs.push(attr);
    for (const s of this.data.get(t.set)!.values()) s.row[attr.name] = attr.type === 'Boolean' ? false : null;
  }
}
