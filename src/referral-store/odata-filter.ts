/**
 * `$filter` → parameterised SQL over the referrals table. Parsing is `odata-v4-parser`'s; this walks its AST:
 * and/or/not, parentheses, eq/ne/gt/ge/lt/le, `any`/`all` lambdas over arrays (`team/any(t:t/email eq '…')`),
 * nested paths (`customerProfile/address/country`), contains/startswith/endswith/tolower/toupper, and
 * string, number, boolean, null, date and datetime literals. Indexed columns are used for the fields that have
 * one; everything else reads the JSON body with `json_extract`. Errors carry the character position.
 */
import odata from 'odata-v4-parser';
import { normalizeKey, referralSchema } from '../domain/index.js';
import { nestedDeeperThan } from './json-body.js';

/** Parentheses outside '…' literals (a doubled '' inside one closes and reopens it, which counts the same). */
const ODATA_NESTING = { open: '(', close: ')', quote: "'", escape: null };

/**
 * `invalidRequest`: the text is not a filter; `unsupportedFilter`: a filter the parser accepts but the store
 * does not translate (e.g. `now()`, arithmetic) — refused rather than half-answered.
 */
export class FilterError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly code: 'invalidRequest' | 'unsupportedFilter' = 'unsupportedFilter',
  ) {
    super(`invalid $filter at position ${position}: ${message}`);
  }
}

/** Longer or deeper filters are refused before parsing (the parser and this walk recurse). */
export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 32;

export interface CompiledFilter {
  sql: string;
  params: unknown[];
  /** Values of a top-level `engagementId eq '…'` conjunct (a related-referrals query). */
  engagementIds: string[];
}

interface Node {
  type: string;
  raw: string;
  position: number;
  value: unknown;
}

/** Top-level properties with their own indexed column. */
const COLUMNS = new Map(
  Object.entries({
    id: 'r.id',
    engagementId: 'r.engagement_id',
    organizationId: 'r.org_id',
    status: 'r.status',
    substatus: 'r.substatus',
    direction: 'r.direction',
    favorite: 'r.favorite',
    name: 'r.name',
    externalReferenceId: 'r.external_reference_id',
    dealType: 'r.deal_type',
    createdDateTime: 'r.created',
    updatedDateTime: 'r.updated',
  }),
);
const DATETIME_LEAVES = new Set(['createdDateTime', 'updatedDateTime', 'expirationDateTime', 'acceptedDateTime', 'closedDateTime', 'closingDateTime', 'completedDateTime']);
/** The referral's top-level properties (also what `$select` may name). */
export const KNOWN = new Set(Object.keys(referralSchema.out.shape));
const COMPARE: Record<string, string> = {
  EqualsExpression: '=',
  NotEqualsExpression: 'IS NOT',
  LesserThanExpression: '<',
  LesserOrEqualsExpression: '<=',
  GreaterThanExpression: '>',
  GreaterOrEqualsExpression: '>=',
};
const NUMERIC = new Set(['Edm.SByte', 'Edm.Byte', 'Edm.Int16', 'Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double', 'Edm.Single']);

/** A SQL value expression plus what kind of thing it is (for literal normalisation). */
interface Operand {
  sql: string;
  params: unknown[];
  datetime?: boolean;
  literal?: { value: unknown };
}

interface Scope {
  /** lambda variable → the SQL expression of the current array element */
  vars: Map<string, string>;
  depth: number;
}

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && typeof (v as Node).type === 'string';

/**
 * Where a JSON array or object literal (`[`, `{`, or their percent-encoded forms) starts outside a quoted string,
 * or -1. The parser loops forever on an unterminated JSON string inside one (`["a`), and the store translates
 * neither, so they are refused before parsing.
 */
function jsonLiteralAt(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'")
      quoted = !quoted; // OData's '' escape toggles out and straight back in
    else if (!quoted && (c === '[' || c === '{' || /^%(5b|7b)/i.test(text.slice(i, i + 3)))) return i;
  }
  return -1;
}

export function compileFilter(text: string): CompiledFilter {
  if (text.length > MAX_FILTER_LENGTH) throw new FilterError(`longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH, 'invalidRequest');
  if (nestedDeeperThan(text, MAX_FILTER_DEPTH, ODATA_NESTING)) throw new FilterError(`nested deeper than ${MAX_FILTER_DEPTH} levels`, 0, 'invalidRequest');
  const json = jsonLiteralAt(text);
  if (json >= 0) throw new FilterError('JSON array and object literals are not supported', json, 'unsupportedFilter');
  let ast: Node;
  try {
    ast = odata.filter(text) as Node;
  } catch (err) {
    const m = /at (\d+)/.exec((err as Error).message);
    throw new FilterError('unexpected character', m ? Number(m[1]) : 0, 'invalidRequest');
  }
  if (!ast || ast.raw.length !== text.length) throw new FilterError('unexpected text after the expression', ast ? ast.raw.length : 0, 'invalidRequest');
  const params: unknown[] = [];
  const sql = boolExpr(ast, { vars: new Map(), depth: 0 }, params);
  return { sql, params, engagementIds: engagementConjuncts(ast) };
}

function unwrap(n: Node): Node {
  while ((n.type === 'CommonExpression' || n.type === 'BoolParenExpression' || n.type === 'ParenExpression') && isNode(n.value)) n = n.value;
  return n;
}

function boolExpr(node: Node, scope: Scope, params: unknown[]): string {
  const n = unwrap(node);
  const v = n.value as { left: Node; right: Node };
  switch (n.type) {
    case 'AndExpression':
      return `(${boolExpr(v.left, scope, params)} AND ${boolExpr(v.right, scope, params)})`;
    case 'OrExpression':
      return `(${boolExpr(v.left, scope, params)} OR ${boolExpr(v.right, scope, params)})`;
    case 'NotExpression':
      return notExpr(n.value as Node, scope, params);
    case 'MethodCallExpression':
      return method(n, scope, params, true);
    case 'FirstMemberExpression':
    case 'MemberExpression':
      return lambdaOrBool(n, scope, params);
    default: {
      const op = Object.hasOwn(COMPARE, n.type) ? COMPARE[n.type] : undefined;
      if (!op) throw new FilterError(`'${n.raw}' is not a condition`, n.position);
      return compare(n, op, operand(v.left, scope), operand(v.right, scope), params);
    }
  }
}

/**
 * odata-v4-parser lets `not` swallow the rest of the expression (`not a eq 1 and b eq 2` parses as
 * not(a and b)); OData gives `not` the highest precedence, so it is pushed down to the leftmost operand.
 * An explicitly parenthesised operand (`not (a or b)`) arrives as a paren node and is kept whole.
 */
function notExpr(operandNode: Node, scope: Scope, params: unknown[]): string {
  if (operandNode.type === 'AndExpression' || operandNode.type === 'OrExpression') {
    const v = operandNode.value as { left: Node; right: Node };
    const left = notExpr(v.left, scope, params);
    return `(${left} ${operandNode.type === 'AndExpression' ? 'AND' : 'OR'} ${boolExpr(v.right, scope, params)})`;
  }
  return `(NOT ${boolExpr(operandNode, scope, params)})`;
}

function compare(n: Node, op: string, left: Operand, right: Operand, params: unknown[]): string {
  // A datetime property compared with a string or date literal: compare the same canonical ISO form.
  for (const [a, b] of [
    [left, right],
    [right, left],
  ] as const) {
    if (a.datetime && b.literal && typeof b.literal.value === 'string') {
      const d = new Date(b.literal.value);
      if (Number.isNaN(d.getTime())) throw new FilterError(`'${b.literal.value}' is not a date/time`, n.position);
      if (b.literal.value.length > 10) b.params = [d.toISOString()];
    }
  }
  const nullSide = left.literal?.value === null ? right : right.literal?.value === null ? left : null;
  if (nullSide && (op === '=' || op === 'IS NOT')) {
    params.push(...nullSide.params);
    return `(${nullSide.sql} ${op === '=' ? 'IS NULL' : 'IS NOT NULL'})`;
  }
  params.push(...left.params, ...right.params);
  return `(${left.sql} ${op} ${right.sql})`;
}

function literal(n: Node): Operand {
  const kind = n.value as string;
  let value: unknown;
  if (kind === 'Edm.String') value = n.raw.slice(1, -1).replace(/''/g, "'");
  else if (kind === 'Edm.Boolean') value = n.raw.toLowerCase() === 'true' ? 1 : 0;
  else if (kind === 'null') value = null;
  else if (NUMERIC.has(kind)) value = Number(n.raw);
  else if (kind === 'Edm.DateTimeOffset') value = new Date(n.raw).toISOString();
  else if (kind === 'Edm.Date' || kind === 'Edm.Guid') value = n.raw;
  else throw new FilterError(`literal ${n.raw} (${kind}) is not supported`, n.position);
  return { sql: '?', params: [value], literal: { value } };
}

function operand(node: Node, scope: Scope): Operand {
  const n = unwrap(node);
  if (n.type === 'Literal') return literal(n);
  if (n.type === 'MethodCallExpression') {
    const params: unknown[] = [];
    return { sql: method(n, scope, params, false), params };
  }
  if (n.type === 'FirstMemberExpression' || n.type === 'MemberExpression') {
    const { base, path, lambda } = memberPath(n, scope);
    if (lambda) throw new FilterError(`'${n.raw}' is a condition, not a value`, n.position);
    return { ...valueOf(base, path, n), params: [] };
  }
  throw new FilterError(`'${n.raw}' is not supported here`, n.position);
}

function valueOf(base: string | null, path: string[], n: Node): { sql: string; datetime: boolean } {
  const datetime = DATETIME_LEAVES.has(path[path.length - 1] ?? '');
  if (base === null) {
    const top = path[0]!;
    if (!KNOWN.has(top)) throw new FilterError(`unknown property '${top}'`, n.position);
    const column = path.length === 1 ? COLUMNS.get(top) : undefined;
    if (column) return { sql: column, datetime };
    return { sql: `json_extract(r.body, '${jsonPath(path)}')`, datetime };
  }
  return { sql: path.length ? `json_extract(${base}, '${jsonPath(path)}')` : base, datetime };
}

const jsonPath = (path: string[]) => `$${path.map((p) => `.${p}`).join('')}`;

interface MemberPath {
  /** SQL of a lambda variable's element, or null for the referral itself */
  base: string | null;
  path: string[];
  lambda?: { kind: 'any' | 'all'; variable?: string; predicate?: Node; node: Node };
}

/** Flatten the parser's member/navigation nodes into a property path (plus a trailing any/all lambda). */
function memberPath(node: Node, scope: Scope): MemberPath {
  const out: MemberPath = { base: null, path: [] };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (!isNode(v)) {
      if (v && typeof v === 'object' && 'current' in v) {
        const pair = v as { current: Node; next: Node };
        visit(pair.current);
        visit(pair.next);
      }
      return;
    }
    switch (v.type) {
      case 'LambdaVariableExpression': {
        const name = (v.value as { name: string }).name;
        const sql = scope.vars.get(name);
        if (!sql) throw new FilterError(`unknown lambda variable '${name}'`, v.position);
        out.base = sql;
        return;
      }
      case 'ODataIdentifier': {
        // Property names bind like body keys (`Status`, `ExternalReferenceID` → `status`, `externalReferenceId`).
        const name = (v.value as { name: string }).name;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new FilterError(`'${v.raw}' is not a property name`, v.position);
        out.path.push(normalizeKey(name));
        return;
      }
      case 'AnyExpression':
      case 'AllExpression': {
        const val = v.value as { variable?: Node; predicate?: Node };
        out.lambda = {
          kind: v.type === 'AnyExpression' ? 'any' : 'all',
          node: v,
          ...(val.variable ? { variable: (val.variable.value as { name: string }).name } : {}),
          ...(val.predicate ? { predicate: val.predicate.value as Node } : {}),
        };
        return;
      }
      case 'FirstMemberExpression':
      case 'MemberExpression':
      case 'PropertyPathExpression':
      case 'SingleNavigationExpression':
      case 'CollectionPathExpression':
      case 'CollectionNavigationExpression':
        visit(v.value);
        return;
      default:
        throw new FilterError(`'${v.raw}' is not supported in a property path`, v.position);
    }
  };
  visit(node);
  return out;
}

function lambdaOrBool(n: Node, scope: Scope, params: unknown[]): string {
  const m = memberPath(n, scope);
  if (!m.lambda) {
    // A bare boolean property (`favorite`): true when set.
    const { sql } = valueOf(m.base, m.path, n);
    return `(${sql} = 1)`;
  }
  const { sql: coll } = valueOf(m.base, m.path, n);
  const source = coll.startsWith('json_extract(') ? `json_each(${coll.slice('json_extract('.length, -1)})` : `json_each(${coll})`;
  if (!m.lambda.predicate || !m.lambda.variable) {
    if (m.lambda.kind === 'all') return '1';
    return `EXISTS (SELECT 1 FROM ${source})`;
  }
  const alias = `j${scope.depth}`;
  const inner: Scope = { vars: new Map(scope.vars).set(m.lambda.variable, `${alias}.value`), depth: scope.depth + 1 };
  const pred = boolExpr(m.lambda.predicate, inner, params);
  return m.lambda.kind === 'any' ? `EXISTS (SELECT 1 FROM ${source} AS ${alias} WHERE ${pred})` : `NOT EXISTS (SELECT 1 FROM ${source} AS ${alias} WHERE NOT ${pred})`;
}

function method(n: Node, scope: Scope, params: unknown[], asCondition: boolean): string {
  // Zero-argument functions (`now()`, `maxdatetime()`) come without a parameter list.
  const { method: name, parameters = [] } = n.value as { method: string; parameters?: Node[] };
  const args = parameters.map((p) => operand(p, scope));
  args.forEach((a) => params.push(...a.params));
  const [a, b] = args.map((x) => x.sql);
  const need = (count: number) => {
    if (args.length !== count) throw new FilterError(`${name}() takes ${count} argument(s)`, n.position);
  };
  const conditions = new Map<string, () => string>([
    ['contains', () => (need(2), `(instr(${a}, ${b}) > 0)`)],
    ['startswith', () => (need(2), `(substr(${a}, 1, length(${b})) = ${b})`)],
    ['endswith', () => (need(2), `(substr(${a}, -length(${b})) = ${b})`)],
  ]);
  const values = new Map<string, () => string>([
    ['tolower', () => (need(1), `lower(${a})`)],
    ['toupper', () => (need(1), `upper(${a})`)],
  ]);
  // startswith/endswith use the second argument twice: bind its parameters again.
  if ((name === 'startswith' || name === 'endswith') && args[1]) params.push(...args[1].params);
  const fn = (asCondition ? conditions : values).get(name);
  if (!fn) throw new FilterError(`function ${name}() is not supported${asCondition ? ' as a condition' : ' as a value'}`, n.position);
  return fn();
}

function engagementConjuncts(node: Node): string[] {
  const n = unwrap(node);
  if (n.type === 'AndExpression') {
    const v = n.value as { left: Node; right: Node };
    return [...engagementConjuncts(v.left), ...engagementConjuncts(v.right)];
  }
  if (n.type !== 'EqualsExpression') return [];
  const v = n.value as { left: Node; right: Node };
  const left = unwrap(v.left);
  const right = unwrap(v.right);
  if (right.type !== 'Literal' || right.value !== 'Edm.String' || left.raw !== 'engagementId') return [];
  return [right.raw.slice(1, -1).replace(/''/g, "'")];
}
