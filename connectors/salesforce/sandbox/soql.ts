/**
 * SOQL for the sandbox: parsed by soql-parser-js, compiled into a predicate and a comparator over in-memory
 * records. soql-parser-js annotates parentheses on a flat right-nested chain, so the WHERE chain is first
 * turned back into tokens and re-parsed with SOQL's precedence (NOT > AND > OR).
 */
import soql from 'soql-parser-js';

const { parseQuery } = soql as unknown as { parseQuery: (q: string) => ParsedQuery };

interface FieldNode {
  type: 'Field' | 'FieldRelationship' | 'FieldFunctionExpression' | string;
  field?: string;
  relationships?: string[];
  rawValue?: string;
  functionName?: string;
}
interface Condition {
  field?: string;
  fn?: { functionName?: string };
  operator: string;
  literalType?: string | string[];
  value?: string | string[];
  openParen?: number;
  closeParen?: number;
}
interface WhereNode {
  left: Condition | null;
  operator?: string;
  right?: WhereNode;
}
interface ParsedQuery {
  fields?: FieldNode[];
  sObject?: string;
  where?: WhereNode;
  orderBy?: { field?: string; order?: string; nulls?: string }[] | { field?: string; order?: string; nulls?: string };
  limit?: number;
  offset?: number;
  groupBy?: unknown;
  having?: unknown;
}

export class SoqlError extends Error {}

export type Resolver = (record: Record<string, unknown>, path: string) => unknown;
export type Predicate = (record: Record<string, unknown>) => boolean;

export interface CompiledQuery {
  sObject: string;
  /** Selected paths as written (`Account.BillingCountry`); empty with `count`. */
  fields: string[];
  count: boolean;
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

const DATE_LITERALS: Record<string, (now: Date) => [number, number]> = {
  TODAY: (n) => day(n, 0),
  YESTERDAY: (n) => day(n, -1),
  TOMORROW: (n) => day(n, 1),
};
function day(now: Date, offset: number): [number, number] {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset);
  return [start, start + 86_400_000];
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
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

function compileCondition(c: Condition, resolve: Resolver, now: () => Date): Predicate {
  if (!c.field) throw new SoqlError(`unsupported condition${c.fn?.functionName ? ` with function ${c.fn.functionName}` : ''}`);
  const field = c.field;
  const op = c.operator.toUpperCase();
  const types = Array.isArray(c.literalType) ? c.literalType : [c.literalType];
  if (op === 'IN' || op === 'NOT IN') {
    const values = (Array.isArray(c.value) ? c.value : [c.value ?? '']).map((v, i) => literal(types[i] ?? types[0], v));
    const set = values.map((v) => (v === null ? null : String(v)));
    return (r) => {
      const v = resolve(r, field);
      const hit = set.includes(v === null || v === undefined ? null : String(v));
      return op === 'IN' ? hit : !hit;
    };
  }
  if (Array.isArray(c.value)) throw new SoqlError(`operator ${c.operator} takes one value`);
  const raw = c.value ?? '';
  const lit = literal(types[0], raw);
  if (types[0] === 'DATE_LITERAL') {
    const range = DATE_LITERALS[String(lit)];
    if (!range) throw new SoqlError(`unsupported date literal ${raw}`);
    return (r) => {
      const v = comparable(resolve(r, field), 0) as number;
      const [from, to] = range(now());
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

function parseWhere(list: Token[], resolve: Resolver, now: () => Date): Predicate {
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
    if (t.kind === 'cond') return compileCondition(t.cond, resolve, now);
    throw new SoqlError(`unexpected ${t.kind} in WHERE clause`);
  };
  const p = orExpr();
  if (i !== list.length) throw new SoqlError('could not read the WHERE clause');
  return p;
}

export function compileSoql(text: string, resolve: Resolver, now: () => Date = () => new Date()): CompiledQuery {
  let q: ParsedQuery;
  try {
    q = parseQuery(text);
  } catch (err) {
    throw new SoqlError(`cannot parse the query: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!q.sObject) throw new SoqlError('FROM is required');
  if (q.groupBy || q.having) throw new SoqlError('GROUP BY and HAVING are not supported by the sandbox');
  const fields: string[] = [];
  let count = false;
  for (const f of q.fields ?? []) {
    if (f.type === 'Field' && f.field) fields.push(f.field);
    else if (f.type === 'FieldRelationship' && f.rawValue) fields.push(f.rawValue);
    else if (f.type === 'FieldFunctionExpression' && f.functionName?.toUpperCase() === 'COUNT') count = true;
    else throw new SoqlError(`unsupported SELECT item ${f.rawValue ?? f.functionName ?? f.type} (subqueries and functions other than COUNT() are not supported)`);
  }
  const list = q.where ? tokens(q.where) : [];
  const where = q.where ? parseWhere(list, resolve, now) : () => true;
  let depth = 0;
  let topLevelOr = false;
  for (const t of list) {
    if (t.kind === '(') depth++;
    else if (t.kind === ')') depth--;
    else if (t.kind === 'OR' && depth === 0) topLevelOr = true;
  }
  const first = list[0];
  const floorCond = !topLevelOr && first?.kind === 'cond' && first.cond.field?.toLowerCase() === 'systemmodstamp' && ['>=', '>'].includes(first.cond.operator) && first.cond.literalType === 'DATETIME' && list[1]?.kind !== 'OR' ? first.cond : null;
  const modstampFloor = floorCond && typeof floorCond.value === 'string' ? (literal('DATETIME', floorCond.value) as number) : null;
  const orders = q.orderBy ? (Array.isArray(q.orderBy) ? q.orderBy : [q.orderBy]) : [];
  const compare = orders.length
    ? (a: Record<string, unknown>, b: Record<string, unknown>) => {
        for (const o of orders) {
          if (!o.field) throw new SoqlError('unsupported ORDER BY item');
          const av = resolve(a, o.field);
          const bv = resolve(b, o.field);
          const desc = o.order?.toUpperCase() === 'DESC';
          const nullsLast = o.nulls ? o.nulls.toUpperCase() === 'LAST' : desc;
          if (av == null || bv == null) {
            if (av == null && bv == null) continue;
            return (av == null ? 1 : -1) * (nullsLast ? 1 : -1);
          }
          const c = av < bv ? -1 : av > bv ? 1 : 0;
          if (c !== 0) return desc ? -c : c;
        }
        return 0;
      }
    : null;
  return { sObject: q.sObject, fields, count, where, compare, limit: q.limit ?? null, offset: q.offset ?? 0, modstampFloor };
}
