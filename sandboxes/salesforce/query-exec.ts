/**
 * Runs a SOQL query against the sandbox's org the way Salesforce answers it: records (rendered page by page,
 * parent relationships as nested objects, child subqueries as nested query results), `COUNT()` as a bare
 * totalSize, and aggregate queries (`COUNT(Id)`, `SUM`, `GROUP BY`, `HAVING`) as AggregateResult rows.
 */
import { type Org, SalesforceApiError, SCHEMA, type Row } from './org.js';
import { aggregateKey, compileParsed, parseSoql, SoqlError, type AggregateFn, type CompiledQuery, type ParsedQuery } from './soql.js';

const QUERYABLE = ['Opportunity', 'Account', 'User', 'OpportunityStage', 'Task'];

/** Renders the rows of one result page; children are resolved per parent row. */
export type RowRenderer = (row: Row, version: string) => Row;

export type QueryResult =
  | { kind: 'count'; totalSize: number }
  | { kind: 'rows'; object: string; ids: string[]; render: RowRenderer /** child subqueries selected */; nested: boolean }
  | { kind: 'aggregate'; records: Row[] };

function stageRows(org: Org): Row[] {
  return org.stages.map((s) => ({ ...s, Id: `01J5g${String(s.SortOrder).padStart(10, '0')}AAA` }) as Row);
}

function expandFields(object: string, c: CompiledQuery): string[] {
  if (!c.fieldsMacro) return c.fields;
  if (c.fieldsMacro !== 'STANDARD' && (c.limit === null || c.limit > 200)) {
    throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'The SOQL FIELDS function must have a LIMIT of at most 200');
  }
  const names = SCHEMA[object]!.fields.filter((f) => (c.fieldsMacro === 'ALL' ? true : c.fieldsMacro === 'CUSTOM' ? f.custom : !f.custom)).map((f) => f.name);
  return [...new Set([...c.fields, ...names])];
}

/** One record as Salesforce renders it: `attributes`, the selected fields, parents nested, null lookups null. */
export function renderRow(org: Org, object: string, row: Row, fields: string[], version: string): Row {
  const out: Row = { attributes: { type: object, url: `/services/data/${version}/sobjects/${object}/${String(row.Id)}` } };
  for (const f of fields) {
    if (!f.includes('.')) {
      out[org.fieldName(object, f)] = row[org.fieldName(object, f)] ?? null;
      continue;
    }
    const name = org.fieldName(object, f);
    const [rel, ...rest] = name.split('.');
    const value = org.resolve(object, row, f);
    const relDef = org.relation(object, rel!)!;
    if (row[relDef.name] == null) {
      out[rel!] = null;
      continue;
    }
    let node = (out[rel!] ??= { attributes: { type: relDef.referenceTo, url: `/services/data/${version}/sobjects/${relDef.referenceTo}/${String(row[relDef.name])}` } }) as Row;
    for (const p of rest.slice(0, -1)) node = (node[p] ??= {}) as Row;
    node[rest.at(-1)!] = value ?? null;
  }
  return out;
}

function filterRows(org: Org, object: string, c: CompiledQuery, includeDeleted: boolean): Row[] {
  const candidates = c.modstampFloor !== null ? org.changedSince(object, c.modstampFloor) : org.all(object, true);
  let hits = candidates.filter((r) => (includeDeleted || !r.IsDeleted) && c.where(r));
  if (c.compare) hits.sort(c.compare);
  if (c.offset) hits = hits.slice(c.offset);
  if (c.limit !== null) hits = hits.slice(0, c.limit);
  return hits;
}

function aggregateValue(fn: AggregateFn, values: unknown[]): unknown {
  const present = values.filter((v) => v !== null && v !== undefined);
  switch (fn) {
    case 'COUNT':
      return present.length;
    case 'COUNT_DISTINCT':
      return new Set(present.map(String)).size;
    case 'SUM':
      return present.length ? present.reduce<number>((a, v) => a + Number(v), 0) : null;
    case 'AVG':
      return present.length ? present.reduce<number>((a, v) => a + Number(v), 0) / present.length : null;
    case 'MIN':
      // biome-ignore lint/complexity/useMathMinMax: SOQL's MIN and MAX also take text and dates, which Math.min would turn into NaN.
      return present.length ? present.reduce((a, v) => ((v as number) < (a as number) ? v : a)) : null;
    case 'MAX':
      // biome-ignore lint/complexity/useMathMinMax: as MIN.
      return present.length ? present.reduce((a, v) => ((v as number) > (a as number) ? v : a)) : null;
  }
}

function runAggregate(org: Org, object: string, c: CompiledQuery, includeDeleted: boolean): Row[] {
  const agg = c.aggregate!;
  const rows = filterRows(org, object, { ...c, compare: null, offset: 0, limit: null }, includeDeleted);
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(agg.groupBy.map((g) => org.resolve(object, r, g) ?? null));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  if (agg.groupBy.length === 0 && groups.size === 0) groups.set('[]', []);
  const needed = [...agg.items.flatMap((i) => (i.kind === 'fn' ? [{ fn: i.fn, field: i.field }] : [])), ...agg.alsoNeeded];
  let out = [...groups.values()].map((members) => {
    const g: Row = {};
    for (const path of agg.groupBy) g[path] = members.length ? (org.resolve(object, members[0]!, path) ?? null) : null;
    for (const n of needed) {
      const values = n.fn === 'COUNT' && !n.field ? members.map(() => 1) : members.map((m) => (n.field ? org.resolve(object, m, n.field) : null));
      g[aggregateKey(n.fn, n.field)] = aggregateValue(n.fn, values);
    }
    return g;
  });
  if (agg.having) out = out.filter(agg.having);
  if (c.compare) out.sort(c.compare);
  if (c.offset) out = out.slice(c.offset);
  if (c.limit !== null) out = out.slice(0, c.limit);
  return out.map((g) => {
    const rec: Row = { attributes: { type: 'AggregateResult' } };
    for (const i of agg.items) rec[i.name] = i.kind === 'group' ? g[i.field] : g[aggregateKey(i.fn, i.field)];
    return rec;
  });
}

/** Child subqueries compiled once per query, their rows grouped by parent id, rendered per parent. */
function childRenderers(org: Org, object: string, c: CompiledQuery, run: (q: ParsedQuery) => unknown[]) {
  return c.children.map(({ relationshipName, query }) => {
    const rel = org.childRelation(object, relationshipName);
    if (!rel)
      throw new SalesforceApiError(
        400,
        'INVALID_TYPE',
        `Didn't understand relationship '${relationshipName}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name.`,
      );
    const child = compileParsed({ ...query, sObject: rel.object }, { resolve: (r, p) => org.resolve(rel.object, r, p), semiJoin: run });
    for (const f of child.fields) org.fieldName(rel.object, f);
    const byParent = new Map<string, Row[]>();
    for (const r of filterRows(org, rel.object, { ...child, limit: null, offset: 0 }, false)) {
      const parent = r[rel.field];
      if (typeof parent !== 'string') continue;
      let list = byParent.get(parent);
      if (!list) byParent.set(parent, (list = []));
      list.push(r);
    }
    const fields = expandFields(rel.object, child);
    return {
      relationshipName,
      render: (parentId: string, version: string) => {
        let list = byParent.get(parentId) ?? [];
        if (child.offset) list = list.slice(child.offset);
        if (child.limit !== null) list = list.slice(0, child.limit);
        return list.length ? { totalSize: list.length, done: true, records: list.map((r) => renderRow(org, rel.object, r, fields, version)) } : null;
      },
    };
  });
}

export function runSoql(org: Org, text: string, includeDeleted: boolean): QueryResult {
  // `field IN (SELECT X FROM …)`: the inner query's X values.
  const semiJoin = (inner: ParsedQuery): unknown[] => {
    const r = run(inner);
    if (r.kind !== 'rows') throw new SoqlError('a semi-join subquery must select one field');
    const field = inner.fields?.[0]?.field ?? 'Id';
    return r.ids.map((id) => org.resolve(inner.sObject!, org.table(inner.sObject!).get(id)!, field));
  };
  const run = (parsed: ParsedQuery): QueryResult => {
    const object = parsed.sObject ?? '';
    if (!QUERYABLE.includes(object)) {
      throw new SalesforceApiError(
        400,
        'INVALID_TYPE',
        `sObject type '${object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
      );
    }
    if (object === 'OpportunityStage') {
      const c = compileParsed(parsed, { resolve: (r, p) => r[p], semiJoin });
      const hits = stageRows(org).filter(c.where);
      if (c.compare) hits.sort(c.compare);
      const records = hits.map((r) => ({ attributes: { type: 'OpportunityStage' }, ...Object.fromEntries(c.fields.map((f) => [f, r[f] ?? null])) }));
      return { kind: 'aggregate', records };
    }
    const c = compileParsed(parsed, { resolve: (r, p) => org.resolve(object, r, p), semiJoin });
    const fields = expandFields(object, c);
    for (const f of fields) org.fieldName(object, f); // unknown fields fail like Salesforce
    for (const g of c.aggregate?.groupBy ?? []) org.fieldName(object, g);
    if (c.aggregate) return { kind: 'aggregate', records: runAggregate(org, object, c, includeDeleted) };
    const hits = filterRows(org, object, c, includeDeleted);
    if (c.count && fields.length === 0) return { kind: 'count', totalSize: hits.length };
    const children = childRenderers(org, object, c, semiJoin);
    const render: RowRenderer = (row, version) => {
      const out = renderRow(org, object, row, fields, version);
      for (const ch of children) out[ch.relationshipName] = ch.render(String(row.Id), version);
      return out;
    };
    return { kind: 'rows', object, ids: hits.map((r) => String(r.Id)), render, nested: children.length > 0 };
  };
  return run(parseSoql(text));
}
