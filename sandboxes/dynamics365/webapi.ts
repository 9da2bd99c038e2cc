/**
 * The Dataverse Web API v9.2 subset as one dispatcher, so plain requests and the parts of a `$batch` take the
 * same path: entity sets with $select/$filter/$orderby/$top/$count/$expand, paging by `odata.maxpagesize`,
 * change tracking, create/update/delete with ETags, Win/LoseOpportunity, metadata, WhoAmI.
 */
import { randomUUID } from 'node:crypto';
import { type Dataverse, DataverseError, type AttrDef, type Row, type TableDef } from './dataverse.js';
import { columnFromRequest, isMetadataPath, metadataResponse } from './metadata.js';
import { compileFilter, compileOrderBy, ODataError } from './odata.js';

export interface ApiRequest {
  method: string;
  /** Path after `/api/data/v9.2/`, query string excluded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface WebApiOptions {
  dv: Dataverse;
  baseUrl: () => string;
  now: () => Date;
  deltaTokenMaxAgeDays: number;
  userId: string;
}

const API = 'api/data/v9.2';
const MAX_PAGE = 5000;
/** `@odata.count` stops at 5,000 on standard tables (RetrieveTotalRecordCount is the way past it). */
const MAX_COUNT = 5000;

/** Percent-decode a path (`%27` → `'`), as Dataverse does before it matches segments; bad escapes are a 400. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new DataverseError(400, '0x80060888', `The request URI is not valid: '${path}' has a malformed percent-encoding.`);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'Content-Type': 'application/json; odata.metadata=minimal', 'OData-Version': '4.0', ...headers },
  body,
});
const noContent = (headers: Record<string, string> = {}): ApiResponse => ({ status: 204, headers: { 'OData-Version': '4.0', ...headers } });

export function errorResponse(err: unknown): ApiResponse {
  if (err instanceof DataverseError) return json(err.status, { error: { code: err.code, message: err.message } });
  if (err instanceof ODataError) return json(400, { error: { code: '0x80060888', message: err.message } });
  throw err;
}

function prefer(headers: Record<string, string>): { maxPageSize?: number; trackChanges: boolean; representation: boolean; continueOnError: boolean } {
  const p = (headers.prefer ?? '').toLowerCase();
  const size = /odata\.maxpagesize\s*=\s*(\d+)/.exec(p);
  return {
    ...(size ? { maxPageSize: Math.min(MAX_PAGE, Number(size[1])) } : {}),
    trackChanges: p.includes('odata.track-changes'),
    representation: p.includes('return=representation'),
    continueOnError: p.includes('odata.continue-on-error'),
  };
}

export function createWebApi(o: WebApiOptions) {
  const { dv } = o;
  const snapshots = new Map<string, { set: string; ids: string[]; select: string[] | null; expand: Expand[]; delta: string | null; deleted: string[] }>();
  const deltaTokens = new Map<string, { set: string; version: number; issued: number; select: string[] | null }>();

  interface Expand {
    nav: string;
    attr: AttrDef;
    select: string[] | null;
  }

  const url = (rel: string) => `${o.baseUrl()}/${API}/${rel}`;

  const parseSelect = (t: TableDef, text: string | null): string[] | null => {
    if (!text) return null;
    return text.split(',').map((f) => {
      const name = f.trim();
      const ok = t.attrs.some((a) => (a.type === 'Lookup' ? `_${a.name}_value` === name : a.name === name));
      if (!ok) throw new DataverseError(400, '0x80060888', `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${t.logicalName}'.`);
      return name;
    });
  };

  const parseExpand = (t: TableDef, text: string | null): Expand[] => {
    if (!text) return [];
    return [...text.matchAll(/([a-z_]+)(?:\(\$select=([^)]*)\))?/gi)].map((m) => {
      const attr = t.attrs.find((a) => a.type === 'Lookup' && a.nav === m[1]);
      if (!attr?.target) throw new DataverseError(400, '0x80060888', `Could not find a property named '${m[1]}' on type 'Microsoft.Dynamics.CRM.${t.logicalName}'.`);
      return { nav: m[1]!, attr, select: m[2] ? m[2].split(',').map((s) => s.trim()) : null };
    });
  };

  const get =
    (t: TableDef) =>
    (row: Row, path: string): unknown => {
      const parts = path.split('.');
      if (parts.length === 1) return row[path];
      const attr = t.attrs.find((a) => a.type === 'Lookup' && a.nav === parts[0]);
      if (!attr?.target) return undefined;
      const id = row[`_${attr.name}_value`];
      const target = typeof id === 'string' ? dv.find(attr.target, id) : undefined;
      return target ? target[parts.slice(1).join('.')] : null;
    };

  const render = (t: TableDef, row: Row, select: string[] | null, expand: Expand[]): Row => {
    const id = String(row[t.key]);
    const out: Row = { '@odata.etag': dv.etag(t.set, id) };
    const keys = select ?? Object.keys(row);
    for (const k of keys) out[k] = row[k] ?? null;
    out[t.key] = id;
    for (const e of expand) {
      const refId = row[`_${e.attr.name}_value`];
      const target = typeof refId === 'string' ? dv.find(e.attr.target!, refId) : undefined;
      if (!target) {
        out[e.nav] = null;
        continue;
      }
      const tt = dv.table(e.attr.target!);
      out[e.nav] = render(tt, target, e.select, []);
    }
    return out;
  };

  const pageOf = (key: string, from: number, size: number): ApiResponse => {
    const snap = snapshots.get(key)!;
    const t = dv.table(snap.set);
    const slice = snap.ids.slice(from, from + size);
    const value: Row[] = [];
    for (const id of slice) {
      const row = dv.find(snap.set, id);
      if (row) value.push(render(t, row, snap.select, snap.expand));
    }
    const end = from + size >= snap.ids.length;
    if (end) for (const id of snap.deleted) value.push({ '@odata.context': `${o.baseUrl()}/${API}/$metadata#${snap.set}/$deletedEntity`, id, reason: 'deleted' });
    const body: Row = { '@odata.context': `${o.baseUrl()}/${API}/$metadata#${snap.set}`, value };
    if (!end) body['@odata.nextLink'] = url(`${snap.set}?$skiptoken=${encodeURIComponent(`${key}:${from + size}`)}`);
    else if (snap.delta) body['@odata.deltaLink'] = url(`${snap.set}?${snap.select ? `$select=${snap.select.join(',')}&` : ''}$deltatoken=${snap.delta}`);
    if (end) snapshots.delete(key);
    return json(200, body, size !== MAX_PAGE ? { 'Preference-Applied': `odata.maxpagesize=${size}` } : {});
  };

  const issueDelta = (set: string, select: string[] | null): string => {
    const token = `${dv.currentVersion()}!${randomUUID().slice(0, 8)}`;
    deltaTokens.set(token, { set, version: dv.currentVersion(), issued: o.now().getTime(), select });
    return token;
  };

  const list = (t: TableDef, req: ApiRequest): ApiResponse => {
    const q = req.query;
    const pref = prefer(req.headers);
    const size = pref.maxPageSize ?? MAX_PAGE;
    const skip = q.get('$skiptoken');
    if (skip) {
      const [key, from] = decodeURIComponent(skip).split(':');
      if (!key || !snapshots.has(key)) throw new DataverseError(400, '0x80040203', 'The $skiptoken is not valid or has expired: follow @odata.nextLink unchanged.');
      return pageOf(key, Number(from), size);
    }
    const select = parseSelect(t, q.get('$select'));
    const deltaToken = q.get('$deltatoken');
    if (deltaToken) {
      const d = deltaTokens.get(deltaToken);
      if (!d || d.set !== t.set) throw new DataverseError(400, '0x80044352', 'The delta token is not valid.');
      if (o.now().getTime() - d.issued > o.deltaTokenMaxAgeDays * 86_400_000) {
        throw new DataverseError(400, '0x80044352', 'Version stamp associated with the client has expired. Please perform a full sync.');
      }
      const { changed, deleted } = dv.changesSince(t.set, d.version);
      const key = randomUUID();
      snapshots.set(key, { set: t.set, ids: changed.map((r) => String(r[t.key])), select: d.select, expand: [], delta: issueDelta(t.set, d.select), deleted });
      return pageOf(key, 0, size);
    }
    if (pref.trackChanges && (q.get('$filter') || q.get('$orderby') || q.get('$expand') || q.get('$top'))) {
      throw new DataverseError(400, '0x80060888', 'Change tracking is not supported with $filter, $orderby, $expand or $top: remove them or the odata.track-changes preference.');
    }
    const expand = parseExpand(t, q.get('$expand'));
    const filterText = q.get('$filter');
    const predicate = filterText ? compileFilter(filterText, get(t)) : null;
    let rows = dv.all(t.set);
    if (predicate) rows = rows.filter(predicate);
    const orderBy = q.get('$orderby');
    if (orderBy) rows.sort(compileOrderBy(orderBy, get(t)));
    // `@odata.count` is every row the filter matches, whatever $top or the page size.
    const matched = rows.length;
    const top = q.get('$top');
    if (top) rows = rows.slice(0, Math.max(0, Number(top)));
    const key = randomUUID();
    const delta = pref.trackChanges ? issueDelta(t.set, select) : null;
    snapshots.set(key, { set: t.set, ids: rows.map((r) => String(r[t.key])), select, expand, delta, deleted: [] });
    const res = pageOf(key, 0, size);
    if (q.get('$count') === 'true') (res.body as Row)['@odata.count'] = Math.min(matched, MAX_COUNT);
    if (pref.trackChanges) res.headers['Preference-Applied'] = ['odata.track-changes', res.headers['Preference-Applied']].filter(Boolean).join(',');
    return res;
  };

  // Entity set names and function names match case-insensitively, like Dataverse's URL resolver.
  const entityPath = /^([a-z_]+)(?:\(\s*([0-9a-f-]{36})\s*\)|\/(\$count))?$/i;

  const dispatch = (req: ApiRequest): ApiResponse => {
    try {
      const path = decodePath(req.path.replace(/^\/+/, ''));
      const fn = path.toLowerCase();
      if (fn === 'whoami') return json(200, { BusinessUnitId: '0b6e5a14-0000-0000-0000-000000000001', UserId: o.userId, OrganizationId: '0b6e5a14-0000-0000-0000-000000000002' });
      if (isMetadataPath(path)) {
        if (req.method === 'POST' && /\/attributes$/i.test(path)) {
          const column = columnFromRequest(req.body);
          dv.addColumn(/logicalname\s*=\s*'([^']+)'/i.exec(path)![1]!.toLowerCase(), column);
          return noContent({ 'OData-EntityId': url(`${path}(LogicalName='${column.name}')`) });
        }
        if (req.method !== 'GET') throw new DataverseError(405, '0x80060888', `${req.method} is not supported on '${path}'.`);
        return json(200, metadataResponse(dv, path, req.query, `${o.baseUrl()}/${API}`));
      }
      if (fn === 'winopportunity' || fn === 'loseopportunity') {
        const b = (req.body ?? {}) as { Status?: number; OpportunityClose?: Record<string, unknown> };
        const bind = String(b.OpportunityClose?.['opportunityid@odata.bind'] ?? '');
        const id = /opportunities\(([0-9a-fA-F-]{36})\)/.exec(bind)?.[1];
        if (!id) throw new DataverseError(400, '0x80040203', 'OpportunityClose.opportunityid@odata.bind is required');
        dv.close(id, fn === 'winopportunity' ? 'won' : 'lost', typeof b.Status === 'number' ? b.Status : undefined);
        return noContent();
      }
      const m = entityPath.exec(path);
      if (!m) throw new DataverseError(404, '0x80060888', `Resource not found for the segment '${path}'.`);
      const t = dv.table(m[1]!.toLowerCase());
      if (m[3] && req.method !== 'GET') throw new DataverseError(405, '0x80060888', `${req.method} is not supported on '${path}'.`);
      const id = m[2]?.toLowerCase();
      const ifMatch = req.headers['if-match'];
      const pref = prefer(req.headers);
      switch (req.method) {
        case 'GET':
          // `<set>/$count`: the number of rows as plain text, capped like `@odata.count`.
          if (m[3]) return { status: 200, headers: { 'Content-Type': 'text/plain', 'OData-Version': '4.0' }, body: String(Math.min(dv.all(t.set).length, MAX_COUNT)) };
          if (!id) return list(t, req);
          return json(200, render(t, dv.get(t.set, id), parseSelect(t, req.query.get('$select')), parseExpand(t, req.query.get('$expand'))));
        case 'POST': {
          if (id) throw new DataverseError(405, '0x80060888', 'POST is not allowed on a single record.');
          const newId = dv.insert(t.set, (req.body ?? {}) as Row);
          const entityId = url(`${t.set}(${newId})`);
          if (pref.representation)
            return json(201, render(t, dv.get(t.set, newId), parseSelect(t, req.query.get('$select')), []), {
              'OData-EntityId': entityId,
              'Preference-Applied': 'return=representation',
            });
          return noContent({ 'OData-EntityId': entityId });
        }
        case 'PATCH': {
          if (!id) throw new DataverseError(405, '0x80060888', 'PATCH needs a record id.');
          // Without If-Match a PATCH is an upsert (Dataverse); If-Match: * means update only.
          if (!dv.find(t.set, id)) {
            if (ifMatch) throw new DataverseError(404, '0x80040217', `${t.logicalName} With Id = ${id} Does Not Exist`);
            dv.insert(t.set, (req.body ?? {}) as Row, id);
          } else {
            dv.update(t.set, id, (req.body ?? {}) as Row, ifMatch);
          }
          const headers = { 'OData-EntityId': url(`${t.set}(${id})`), ETag: dv.etag(t.set, id) };
          if (pref.representation) return json(200, render(t, dv.get(t.set, id), parseSelect(t, req.query.get('$select')), []), headers);
          return noContent(headers);
        }
        case 'DELETE':
          if (!id) throw new DataverseError(405, '0x80060888', 'DELETE needs a record id.');
          if (ifMatch && ifMatch !== '*' && ifMatch !== dv.etag(t.set, id))
            throw new DataverseError(412, '0x80060882', "The version of the existing record doesn't match the RowVersion property provided.");
          dv.remove(t.set, id);
          return noContent();
        default:
          throw new DataverseError(405, '0x80060888', `${req.method} is not supported.`);
      }
    } catch (err) {
      return errorResponse(err);
    }
  };

  return { dispatch, atomically: <T>(fn: () => T) => dv.atomically(fn) };
}

export type WebApi = ReturnType<typeof createWebApi>;
