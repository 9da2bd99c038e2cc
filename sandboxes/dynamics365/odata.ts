/**
 * OData query options for the Dataverse sandbox: `$filter` parsed by odata-v4-parser and evaluated over rows
 * (comparisons, and/or/not, contains/startswith/endswith, lookups, and Dataverse's `In` function), `$orderby`.
 */
import odata from 'odata-v4-parser';

export class ODataError extends Error {
  constructor(
    message: string,
    readonly position = 0,
  ) {
    super(message);
  }
}

interface Node {
  type: string;
  raw: string;
  position?: number;
  value: unknown;
}

export type Row = Record<string, unknown>;
export type RowPredicate = (row: Row) => boolean;

/** `Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=['a','b'])` → `(x eq 'a' or x eq 'b')`. */
function expandDataverseFunctions(text: string): string {
  return text.replace(
    /Microsoft\.Dynamics\.CRM\.(In|NotIn)\(\s*PropertyName\s*=\s*'([^']+)'\s*,\s*PropertyValues\s*=\s*\[((?:[^\]']|'(?:[^']|'')*')*)\]\s*\)/g,
    (_m, fn: string, prop: string, list: string) => {
      const values = [...list.matchAll(/'((?:[^']|'')*)'|([^,\s]+)/g)].map((v) => (v[1] !== undefined ? `'${v[1]}'` : v[2]!));
      if (values.length === 0) return fn === 'In' ? 'false' : 'true';
      const ors = values.map((v) => `${prop} eq ${v}`).join(' or ');
      return fn === 'In' ? `(${ors})` : `not (${ors})`;
    },
  );
}

function literal(n: Node): unknown {
  const t = n.value as string;
  const raw = n.raw;
  switch (t) {
    case 'Edm.String':
      return raw.slice(1, -1).replace(/''/g, "'");
    case 'Edm.Boolean':
      return raw === 'true';
    case 'null':
      return null;
    case 'Edm.Guid':
      return raw.toLowerCase();
    case 'Edm.DateTimeOffset':
    case 'Edm.Date':
      return Date.parse(raw);
    default:
      if (/^Edm\.(S?Byte|Int16|Int32|Int64|Decimal|Double|Single)$/.test(t)) return Number(raw);
      if (raw === 'null') return null;
      throw new ODataError(`unsupported literal ${raw}`, n.position ?? 0);
  }
}

function propertyName(n: Node): string {
  if (n.type !== 'FirstMemberExpression' && n.type !== 'MemberExpression' && n.type !== 'PropertyPathExpression') {
    throw new ODataError(`expected a property, got ${n.raw}`, n.position ?? 0);
  }
  return n.raw.replace(/\//g, '.');
}

type Value = (row: Row) => unknown;

function comparable(v: unknown, like: unknown): unknown {
  if (typeof like === 'number' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (typeof v === 'string' && typeof like === 'string') return v.toLowerCase();
  // The In function's values are strings that Dataverse converts to the column's type (option values).
  if (typeof v === 'number' && typeof like === 'string' && /^-?\d+$/.test(like)) return String(v);
  return v;
}

function operand(n: Node, get: (row: Row, path: string) => unknown): { value: Value; lit?: unknown } {
  if (n.type === 'Literal') {
    const v = literal(n);
    return { value: () => v, lit: typeof v === 'string' ? v.toLowerCase() : v };
  }
  if (n.type === 'MethodCallExpression') {
    const m = n.value as { method: string; parameters: Node[] };
    if (['tolower', 'toupper', 'trim'].includes(m.method)) {
      const inner = operand(m.parameters[0]!, get).value;
      return {
        value: (r) => {
          const s = inner(r);
          return typeof s === 'string' ? (m.method === 'trim' ? s.trim() : s.toLowerCase()) : s;
        },
      };
    }
  }
  const name = propertyName(n);
  return { value: (r) => get(r, name) };
}

export function compileFilter(text: string, get: (row: Row, path: string) => unknown): RowPredicate {
  let ast: Node;
  try {
    ast = odata.filter(expandDataverseFunctions(text)) as Node;
  } catch (err) {
    const m = /at (\d+)/.exec((err as Error).message);
    throw new ODataError(`Syntax error in $filter at position ${m ? m[1] : 0}`, Number(m?.[1] ?? 0));
  }
  const walk = (n: Node): RowPredicate => {
    switch (n.type) {
      case 'AndExpression': {
        const { left, right } = n.value as { left: Node; right: Node };
        const l = walk(left);
        const r = walk(right);
        return (row) => l(row) && r(row);
      }
      case 'OrExpression': {
        const { left, right } = n.value as { left: Node; right: Node };
        const l = walk(left);
        const r = walk(right);
        return (row) => l(row) || r(row);
      }
      case 'NotExpression': {
        const inner = walk(n.value as Node);
        return (row) => !inner(row);
      }
      case 'BoolParenExpression':
      case 'ParenExpression':
        return walk(n.value as Node);
      case 'Literal':
        if (n.raw === 'true' || n.raw === 'false') return () => n.raw === 'true';
        throw new ODataError(`unexpected literal ${n.raw}`, n.position ?? 0);
      case 'MethodCallExpression': {
        const m = n.value as { method: string; parameters: Node[] };
        if (!['contains', 'startswith', 'endswith'].includes(m.method)) throw new ODataError(`function ${m.method} is not supported`, n.position ?? 0);
        const target = operand(m.parameters[0]!, get).value;
        const arg = String(literal(m.parameters[1]!)).toLowerCase();
        return (row) => {
          const v = target(row);
          if (typeof v !== 'string') return false;
          const s = v.toLowerCase();
          return m.method === 'contains' ? s.includes(arg) : m.method === 'startswith' ? s.startsWith(arg) : s.endsWith(arg);
        };
      }
      case 'EqualsExpression':
      case 'NotEqualsExpression':
      case 'LesserThanExpression':
      case 'LesserOrEqualsExpression':
      case 'GreaterThanExpression':
      case 'GreaterOrEqualsExpression': {
        const { left, right } = n.value as { left: Node; right: Node };
        const l = operand(left, get);
        const r = operand(right, get);
        const lit = r.lit;
        return (row) => {
          const a = comparable(l.value(row), lit);
          const b = r.lit !== undefined ? lit : comparable(r.value(row), a);
          if (n.type === 'EqualsExpression') return (a ?? null) === (b ?? null);
          if (n.type === 'NotEqualsExpression') return (a ?? null) !== (b ?? null);
          if (a === null || a === undefined || b === null || b === undefined) return false;
          const x = a as number | string;
          const y = b as number | string;
          return n.type === 'LesserThanExpression' ? x < y : n.type === 'LesserOrEqualsExpression' ? x <= y : n.type === 'GreaterThanExpression' ? x > y : x >= y;
        };
      }
      default:
        throw new ODataError(`unsupported expression ${n.raw}`, n.position ?? 0);
    }
  };
  return walk(ast);
}

export function compileOrderBy(text: string, get: (row: Row, path: string) => unknown): (a: Row, b: Row) => number {
  const keys = text.split(',').map((part) => {
    const [field, dir] = part.trim().split(/\s+/);
    if (!field || !/^[A-Za-z_][\w./]*$/.test(field)) throw new ODataError(`invalid $orderby ${part}`);
    return { field: field.replace(/\//g, '.'), desc: dir?.toLowerCase() === 'desc' };
  });
  return (a, b) => {
    for (const k of keys) {
      const x = get(a, k.field) as string | number | null;
      const y = get(b, k.field) as string | number | null;
      if (x === y) continue;
      if (x === null || x === undefined) return k.desc ? 1 : -1;
      if (y === null || y === undefined) return k.desc ? -1 : 1;
      const c = x < y ? -1 : 1;
      return k.desc ? -c : c;
    }
    return 0;
  };
}
