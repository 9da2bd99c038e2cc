/**
 * An in-memory CrmConnector for engine unit tests: records with versions, a change cursor, deletes, and
 * per-record write failures on demand. Integration tests use the real connectors against the sandboxes.
 */
import type { CrmConnector, CrmCreate, CrmRecord, CrmUpdate, Page, PullOptions, WriteResult } from '../../connectors/connector.js';

export interface MemoryCrm extends CrmConnector {
  rows: Map<string, { fields: Record<string, unknown>; version: number; deleted: boolean }>;
  put(id: string, fields: Record<string, unknown>): void;
  edit(id: string, patch: Record<string, unknown>): void;
  remove(id: string): void;
  failWritesFor: Set<string>;
  writes: CrmUpdate[];
}

export function memoryCrm(): MemoryCrm {
  let clock = 0;
  let calls = 0;
  let nextId = 1;
  const rows = new Map<string, { fields: Record<string, unknown>; version: number; deleted: boolean }>();
  const toRecord = (id: string): CrmRecord => {
    const r = rows.get(id)!;
    return { id, version: String(r.version), modifiedAt: new Date(r.version * 1000).toISOString(), deleted: r.deleted, fields: structuredClone(r.fields) };
  };
  const writes: CrmUpdate[] = [];
  const failWritesFor = new Set<string>();
  const crm: MemoryCrm = {
    kind: 'salesforce',
    rows,
    writes,
    failWritesFor,
    put(id, fields) {
      rows.set(id, { fields: structuredClone(fields), version: ++clock, deleted: false });
    },
    edit(id, patch) {
      const r = rows.get(id)!;
      r.fields = { ...r.fields, ...patch };
      r.version = ++clock;
    },
    remove(id) {
      const r = rows.get(id)!;
      r.deleted = true;
      r.version = ++clock;
    },
    async *pull(cursor: string | null, opts: PullOptions): AsyncIterable<Page<CrmRecord>> {
      calls++;
      const since = opts.full || !cursor ? 0 : Number(cursor);
      const changed = [...rows.entries()].filter(([, r]) => r.version > since).sort((a, b) => a[1].version - b[1].version);
      const size = opts.pageSize ?? 200;
      for (let i = 0; i < changed.length; i += size) {
        const page = changed.slice(i, i + size);
        yield { records: page.map(([id]) => toRecord(id)), cursor: String(page.at(-1)![1].version) };
      }
    },
    async read(ids) {
      calls++;
      return ids.filter((id) => rows.has(id)).map(toRecord);
    },
    async findBy(field, values) {
      calls++;
      return [...rows.keys()].filter((id) => values.includes(String(rows.get(id)!.fields[field]))).map(toRecord);
    },
    async writeBack(updates: CrmUpdate[]): Promise<WriteResult[]> {
      calls++;
      return updates.map((u) => {
        writes.push(u);
        if (failWritesFor.has(u.id) || !rows.has(u.id)) return { id: u.id, ok: false, code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'rejected by a validation rule' };
        crm.edit(u.id, u.fields);
        return { id: u.id, ok: true, version: String(rows.get(u.id)!.version) };
      });
    },
    async create(records: CrmCreate[]): Promise<WriteResult[]> {
      calls++;
      return records.map((r) => {
        const id = `mem-${nextId++}`;
        crm.put(id, r.fields);
        return { id, ref: r.ref, ok: true, version: String(rows.get(id)!.version) };
      });
    },
    async describeStages() {
      return [];
    },
    async describeFields() {
      return [];
    },
    usage: () => undefined,
    calls: () => calls,
    async close() {},
  };
  return crm;
}
