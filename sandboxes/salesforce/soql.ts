/**
 * SOQL for the sandbox: parsed by soql-parser-js, compiled into a predicate and a comparator over in-memory
 * records. soql-parser-js annotates parentheses on a flat right-nested chain, so the WHERE chain is first
 * turned back into tokens and re-parsed with SOQL's precedence (NOT > AND > OR).
 */
import soql from 'soql-parser-js';
import { dateLiteralRange } from './date-literals.js';

const { parseQuery } = soql as unknown as { parseQuery: (q: string) => ParsedQuery };

interface FieldNode {
  type: 'Field' | 'FieldRelationship' | 'FieldFunctionExpression' | 'FieldSubquery' | string;
  field?: string;
  relationships?: string[];
  rawValue?: string;
  functionName?: string;
  parameters?: string[];
  isAggregateFn?: boolean;
  alias?: string;
  subquery?: ParsedQuery & { relationshipName?: string };
}
interface Condition {
  field?: string;
  fn?: { functionName?: string; parameters?: string[]; rawValue?: string };
  operator: string;
  literalType?: string | string[];
  value?: string | string[];
  valueQuery?: ParsedQuery;
  dateLiteralVariable?: number;
  openParen?: number;
  closeParen?: number;
}
interface WhereNode {
  left: Condition | null;
  operator?: string;
  right?: WhereNode;
}
export interface ParsedQuery {
  fields?: FieldNode[];
  sObject?: string;
  relationshipName?: string;
  where?: WhereNode;
  orderBy?: OrderNode[] | OrderNode;
  limit?: number;
  offset?: number;
  groupBy?: { field?: string; fn?: unknown }[] | { field?: string; fn?: unknown };
  having?: WhereNode;
}
interface OrderNode {
  field?: string;
  fn?: { rawValue?: string; functionName?: string; parameters?: string[] };
  order?: string;
  nulls?: string;
}

export class SoqlError extends Error {}

export type Resolver = (record: Record<string, unknown>, path: string) => unknown;
export type Predicate = (record: Record<string, unknown>) => boolean;

/** What compiling a query needs besides the text: field access, the clock, and semi-join answers. */
export interface CompileContext {
  resolve: Resolver;
  now?: () => Date;
  /** `field IN (SELECT Id FROM …)`: the values the inner query selects. */
  semiJoin?: (inner: ParsedQuery) => unknown[];
}

export type AggregateFn = 'COUNT' | 'COUNT_DISTINCT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

/** One SELECT item of an aggregate query: a grouped field, or a function over a field. */
export type AggregateItem = { kind: 'group'; field: string; name: string } | { kind: 'fn'; fn: AggregateFn; field: string | null; name: string };

export interface CompiledQuery {
  sObject: string;
  /** Selected paths as written (`Account.BillingCountry`); empty with `count`. */
  fields: string[];
  /** `COUNT()` alone: the answer is totalSize with no records. */
  count: boolean;
  /** `FIELDS(ALL|STANDARD|CUSTOM)` in the SELECT list. */
  fieldsMacro: 'ALL' | 'STANDARD' | 'CUSTOM' | null;
  /** Child-relationship subqueries in the SELECT list (`(SELECT Id FROM Opportunities)`). */
  children: { relationshipName: string; query: ParsedQuery }[];
  /** Set for aggregate queries (functions or GROUP BY): the result rows are AggregateResults. */
  aggregate: { items: AggregateItem[]; groupBy: string[]; having: Predicate | null; alsoNeeded: { fn: AggregateFn; field: string | null }[] } | null;
  where: Predicate;
  compare: ((a: Record<string, unknown>, b: Record<string, unknown>) => number) | null;
  limit: number | null;
  offset: number;
  /** `SystemModstamp >= t` as a top-level conjunct: the org can answer it from its change log. */
  modstampFloor: number | null;
}

type Token = { kind: '(' | ')' | 'AND' | 'OR' | 'NOT' } | { kind: 'cond'; cond: Condition };

function tokens(node: WhereNode | undefined, out: Token[] = []): Token[] {
  if (!node) return out;
  if (node.left) {
    for (let i = 0; i < (node.left.openParen ?? 0); i++) out.push({ kind: '(' });
    out.push({ kind: 'cond', cond: node.left });
    for (let i = 0; i < (node.left.closeParen ?? 0); i++) out.push({ kind: ')' });
  }
  if (node.operator) {
    const op = node.operator.toUpperCase();
    if (op === 'AND' || op === 'OR' || op === 'NOT') out.push({ kind: op });
    else throw new SoqlError(`unsupported logical operator ${node.operator}`);
  }
  return tokens(node.right, out);
}

function unquote(v: string): string {
  return v.replace(/^'|'$/g, '').replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** A literal as a comparable JS value. */
function literal(type: string | undefined, raw: string): unknown {
  switch (type) {
    case 'STRING':
      return unquote(raw);
    case 'INTEGER':
    case 'DECIMAL':
    case 'INTEGER_WITH_CURRENCY_PREFIX':
    case 'DECIMAL_WITH_CURRENCY_PREFIX':
      return Number(raw.replace(/^[A-Z]{3}/, ''));
    case 'BOOLEAN':
      return raw.toUpperCase() === 'TRUE';
    case 'NULL':
      return null;
    case 'DATE':
      return Date.parse(`${raw}T00:00:00Z`);
    case 'DATETIME':
      return Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    case 'DATE_LITERAL':
    case 'DATE_N_LITERAL':
      return raw.toUpperCase();
    default:
      throw new SoqlError(`unsupported literal ${raw}${type ? ` (${type})` : ''}`);
  }
}

function comparable(v: unknown, like: unknown): unknown {
  if (typeof like === 'number' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    return Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  }
  return v;
}

function likeRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

const AGGREGATES = new Set<AggregateFn>(['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** The key a condition reads from a record: a field path, or (in HAVING) an aggregate's raw text. */
function conditionKey(c: Condition): string {
  if (c.field) return c.field;
  const fn = c.fn?.functionName?.toUpperCase();
  if (fn && AGGREGATES.has(fn as AggregateFn)) return aggregateKey(fn as AggregateFn, c.fn?.parameters?.[0] ?? null);
  throw new SoqlError(`unsupported condition${fn ? ` with function ${fn}` : ''}`);
}

export function aggregateKey(fn: AggregateFn, field: string | null): string {
  return `${fn}(${field ?? ''})`.toUpperCase();
}

function compileCondition(c: Condition, ctx: CompileContext): Predicate {
  const field = conditionKey(c);
  const resolve = ctx.resolve;
  const op = c.operator.toUpperCase();
  const types = Array.isArray(c.literalType) ? c.literalType : [c.literalType];
  if (op === 'IN' || op === 'NOT IN' || op === 'INCLUDES' || op === 'EXCLUDES') {
    let set: (string | null)[];
    if (types[0] === 'SUBQUERY') {
      if (!c.valueQuery || !ctx.semiJoin) throw new SoqlError('a semi-join subquery is not supported here');
      set = ctx.semiJoin(c.valueQuery).map((v) => (v === null || v === undefined ? null : String(v)));
    } else {
      set = (Array.isArray(c.value) ? c.value : [c.value ?? '']).map((v, i) => literal(types[i] ?? types[0], v)).map((v) => (v === null ? null : String(v)));
    }
    if (op === 'INCLUDES' || op === 'EXCLUDES') {
      // Multi-select picklists: a stored value is ';'-separated; INCLUDES matches any listed value.
      return (r) => {
        const v = resolve(r, field);
        const have = typeof v === 'string' ? v.split(';') : [];
        const hit = set.some((x) => x !== null && have.includes(x));
        return op === 'INCLUDES' ? hit : !hit;
      };
    }
    const lookup = new Set(set);
    return (r) => {
      const v = resolve(r, field);
      const hit = lookup.has(v === null || v === undefined ? null : String(v));
      return op === 'IN' ? hit : !hit;
    };
  }
  if (Array.isArray(c.value)) throw new SoqlError(`operator ${c.operator} takes one value`);
  const raw = c.value ?? '';
  const lit = literal(types[0], raw);
  if (types[0] === 'DATE_LITERAL' || types[0] === 'DATE_N_LITERAL') {
    const now = ctx.now ?? (() => new Date());
    if (!dateLiteralRange(String(lit), now())) throw new SoqlError(`unsupported date literal ${raw}`);
    return (r) => {
      const v = comparable(resolve(r, field), 0) as number;
      const [from, to] = dateLiteralRange(String(lit), now())!;
      switch (op) {
        case '=':
          return v >= from && v < to;
        case '>':
          return v >= to;
        case '>=':
          return v >= from;
        case '<':
          return v < from;
        case '<=':
          return v < to;
        default:
          throw new SoqlError(`unsupported operator ${op} with a date literal`);
      }
    };
  }
  switch (op) {
    case '=':
      return (r) => {
        const v = resolve(r, field);
        if (lit === null) return v === null || v === undefined;
        const cv = comparable(v, lit);
        return typeof lit === 'string' && typeof cv === 'string' ? cv.toLowerCase() === lit.toLowerCase() : cv === lit;
      };
    case '!=':
    case '<>':
      return (r) => {
        const v = resolve(r, field);
        if (lit === null) return v !== null && v !== undefined;
        const cv = comparable(v, lit);
        return typeof lit === 'string' && typeof cv === 'string' ? cv.toLowerCase() !== lit.toLowerCase() : cv !== lit;
      };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (r) => {
        const v = comparable(resolve(r, field), lit);
        if (v === null || v === undefined || lit === null) return false;
        const a = v as number | string;
        const b = lit as number | string;
        return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
      };
    case 'LIKE': {
      const re = likeRegex(String(lit));
      return (r) => {
        const v = resolve(r, field);
        return typeof v === 'string' && re.test(v);
      };
    }
    default:
      throw new SoqlError(`unsupported operator ${c.operator}`);
  }
}

function parseWhere(list: Token[], ctx: CompileContext): Predicate {
  let i = 0;
  const peek = () => list[i];
  const orExpr = (): Predicate => {
    let left = andExpr();
    while (peek()?.kind === 'OR') {
      i++;
      const l = left;
      const r = andExpr();
      left = (rec) => l(rec) || r(rec);
    }
    return left;
  };
  const andExpr = (): Predicate => {
    let left = notExpr();
    while (peek()?.kind === 'AND') {
      i++;
      const l = left;
      const r = notExpr();
      left = (rec) => l(rec) && r(rec);
    }
    return left;
  };
  const notExpr = (): Predicate => {
    if (peek()?.kind === 'NOT') {
      i++;
      const inner = notExpr();
      return (rec) => !inner(rec);
    }
    return atom();
  };
  const atom = (): Predicate => {
    const t = list[i++];
    if (!t) throw new SoqlError('unexpected end of WHERE clause');
    if (t.kind === '(') {
      const inner = orExpr();
      if (list[i++]?.kind !== ')') throw new SoqlError('unbalanced parentheses in WHERE clause');
      return inner;
    }
    if (t.kind === 'cond') return compileCondition(t.cond, ctx);
    throw new SoqlError(`unexpected ${t.kind} in WHERE clause`);
  };
  const p = orExpr();
  if (i !== list.length) throw new SoqlError('could not read the WHERE clause');
  return p;
}

/** Parse SOQL text (soql-parser-js), with Salesforce's MALFORMED_QUERY for what it cannot read. */
export function parseSoql(text: string): ParsedQuery {
  try {
    return parseQuery(text);
  } catch (err) {
    throw new SoqlError(`cannot parse the query: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function compileSoql(text: string, ctx: CompileContext): CompiledQuery {
  return compileParsed(parseSoql(text), ctx);
}

/** The SELECT list: plain paths, FIELDS(), child subqueries, and aggregate functions. */
function selectList(q: ParsedQuery) {
  const fields: string[] = [];
  const children: CompiledQuery['children'] = [];
  const items: AggregateItem[] = [];
  let fieldsMacro: CompiledQuery['fieldsMacro'] = null;
  let countOnly = false;
  let expr = 0;
  for (const f of q.fields ?? []) {
    const fn = f.functionName?.toUpperCase();
    if ((f.type === 'Field' && f.field) || (f.type === 'FieldRelationship' && f.rawValue)) {
      const path = f.type === 'Field' ? f.field! : f.rawValue!;
      fields.push(path);
      items.push({ kind: 'group', field: path, name: f.alias ?? path.split('.').at(-1)! });
    } else if (f.type === 'FieldSubquery' && f.subquery?.relationshipName) {
      children.push({ relationshipName: f.subquery.relationshipName, query: f.subquery });
    } else if (f.type === 'FieldFunctionExpression' && fn === 'FIELDS') {
      const which = f.parameters?.[0]?.toUpperCase();
      if (which !== 'ALL' && which !== 'STANDARD' && which !== 'CUSTOM') throw new SoqlError(`FIELDS() takes ALL, STANDARD or CUSTOM, not ${f.parameters?.[0] ?? 'nothing'}`);
      fieldsMacro = which;
    } else if (f.type === 'FieldFunctionExpression' && fn && AGGREGATES.has(fn as AggregateFn)) {
      const field = f.parameters?.[0] ?? null;
      if (fn === 'COUNT' && !field) countOnly = true;
      else items.push({ kind: 'fn', fn: fn as AggregateFn, field, name: f.alias ?? `expr${expr++}` });
    } else {
      throw new SoqlError(`unsupported SELECT item ${f.rawValue ?? f.functionName ?? f.type}`);
    }
  }
  return { fields, children, items, fieldsMacro, countOnly };
}

function orderComparator(q: ParsedQuery, resolve: Resolver): CompiledQuery['compare'] {
  const orders = q.orderBy ? (Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy]) : [];
  if (!orders.length) return null;
  const keys = orders.map((o) => {
    const fn = o.fn?.functionName?.toUpperCase();
    const key = o.field ?? (fn && AGGREGATES.has(fn as AggregateFn) ? aggregateKey(fn as AggregateFn, o.fn?.parameters?.[0] ?? null) : null);
    if (!key) throw new SoqlError('unsupported ORDER BY item');
    const desc = o.order?.toUpperCase() === 'DESC';
    return { key, desc, nullsLast: o.nulls ? o.nulls.toUpperCase() === 'LAST' : desc };
  });
  return (a, b) => {
    for (const { key, desc, nullsLast } of keys) {
      const av = resolve(a, key);
      const bv = resolve(b, key);
      if (av == null || bv == null) {
        if (av == null && bv == null) continue;
        return (av == null ? 1 : -1) * (nullsLast ? 1 : -1);
      }
      const c = av < bv ? -1 : av > bv ? 1 : 0;
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  };
}

export function compileParsed(q: ParsedQuery, ctx: CompileContext): CompiledQuery {
  const sObject = q.sObject ?? q.relationshipName;
  if (!sObject) throw new SoqlError('FROM is required');
  const { fields, children, items, fieldsMacro, countOnly } = selectList(q);
  const groupBy = (q.groupBy ? (Array.isArray(q.groupBy) ? q.groupBy : [q.groupBy]) : []).map((g) => {
    if (!g.field) throw new SoqlError('GROUP BY ROLLUP/CUBE and functions are not supported by the sandbox');
    return g.field;
  });
  const isAggregate = groupBy.length > 0 || items.some((i) => i.kind === 'fn');
  if (isAggregate) {
    for (const i of items) {
      if (i.kind === 'group' && !groupBy.some((g) => g.toLowerCase() === i.field.toLowerCase())) {
        throw new SoqlError(`Field must be grouped or aggregated: ${i.field}`);
      }
    }
    if (children.length || fieldsMacro) throw new SoqlError('an aggregate query cannot select subqueries or FIELDS()');
  } else if (q.having) {
    throw new SoqlError('HAVING needs GROUP BY or an aggregate function');
  }
  const list = q.where ? tokens(q.where) : [];
  const where = q.where ? parseWhere(list, ctx) : () => true;
  const havingList = q.having ? tokens(q.having) : [];
  // HAVING reads the group's row, where aggregates are stored under their upper-cased text (`COUNT(ID)`).
  const having = q.having ? parseWhere(havingList, { ...ctx, resolve: (r, p) => r[p.toUpperCase()] ?? ctx.resolve(r, p) }) : null;
  let depth = 0;
  let topLevelOr = false;
  for (const t of list) {
    if (t.kind === '(') depth++;
    else if (t.kind === ')') depth--;
    else if (t.kind === 'OR' && depth === 0) topLevelOr = true;
  }
  const first = list[0];
  const floorCond =
    !topLevelOr &&
    first?.kind === 'cond' &&
    first.cond.field?.toLowerCase() === 'systemmodstamp' &&
    ['>=', '>'].includes(first.cond.operator) &&
    first.cond.literalType === 'DATETIME' &&
    list[1]?.kind !== 'OR'
      ? first.cond
      : null;
  const modstampFloor = floorCond && typeof floorCond.value === 'string' ? (literal('DATETIME', floorCond.value) as number) : null;
  const compare = orderComparator(q, isAggregate ? (r, p) => r[p.toUpperCase()] ?? r[p] : ctx.resolve);
  // Aggregates HAVING or ORDER BY read that are not in the SELECT list are still computed per group.
  const orders = q.orderBy ? (Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy]) : [];
  const alsoNeeded = [...havingList.flatMap((t) => (t.kind === 'cond' && t.cond.fn ? [t.cond.fn] : [])), ...orders.flatMap((o) => (o.fn ? [o.fn] : []))]
    .filter((f) => AGGREGATES.has(f.functionName?.toUpperCase() as AggregateFn))
    .map((f) => ({ fn: f.functionName!.toUpperCase() as AggregateFn, field: f.parameters?.[0] ?? null }));
  return {
    sObject,
    fields,
    count: countOnly && !isAggregate && fields.length === 0,
    fieldsMacro,
    children,
    aggregate: isAggregate ? { items, groupBy, having, alsoNeeded } : null,
    where,
    compare,
    limit: q.limit ?? null,
    offset: q.offset ?? 0,
    modstampFloor,
  };
}
