/**
 * `GET /referrals`: `$filter` (compiled to SQL), `$orderby` on one key, `$top` ≤ 100, `$count`, and keyset
 * paging. The `$skiptoken` carries the last item's sort value and id, so a page continues after exactly that
 * item: with a stable sort key (the default, createdDateTime) no item is skipped or repeated however many
 * others are created or updated meanwhile. (Ordering by updatedDateTime moves an item that changes to the end,
 * which is what an incremental pull wants.)
 *
 * (decision) What a list shows: the caller's own referrals. Invitations it sent (related referrals owned by
 * the invited organization) appear only in a related-referrals query, i.e. with `engagementId eq '…'`.
 */
import { z } from 'zod';
import { normalizeKey } from '../domain/index.js';
import { ApiError } from './errors.js';
import { compileFilter, FilterError, KNOWN } from './odata-filter.js';
import type { Organization, RawRow, Repository } from './repository.js';

export const PAGE_SIZE = 100;

const SORT_KEYS = new Map([
  ['createdDateTime', 'r.created'],
  ['updatedDateTime', 'r.updated'],
  ['name', 'r.name'],
]);

/**
 * (decision) Partner Center documents `$select`, `$filter`, `$orderby` (and `$top`, paging) for referrals, not
 * `$expand`, `$search` or `$skip`: any other `$` option is refused (400 naming it) rather than silently
 * ignored. Other query parameters (no `$`) are ignored, as HTTP APIs do.
 */
const QUERY_OPTIONS = ['$select', '$filter', '$orderby', '$top', '$count', '$skiptoken'] as const;
export const SINGLE_OPTIONS = ['$select'] as const;
export const listQuerySchema = z
  .looseObject({
    $select: z.string().optional(),
    $filter: z.string().optional(),
    $orderby: z.string().optional(),
    $top: z.string().regex(/^\d+$/, { error: 'expected a whole number from 1 to 100' }).optional(),
    $count: z.enum(['true', 'false']).optional(),
    $skiptoken: z.string().optional(),
  })
  .superRefine((q, ctx) => {
    for (const k of unsupportedOptions(q, QUERY_OPTIONS)) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is not supported (supported: ${QUERY_OPTIONS.join(', ')})` });
  });

const SELECTABLE = new Set([...KNOWN, 'eTag', 'links']);

/** `$select=id,status,customerProfile`: the top-level properties to return, or null for all. */
export function parseSelect(text: unknown): string[] | null {
  if (text === undefined) return null;
  if (typeof text !== 'string') throw bad('$select', '$select is given once, as a comma-separated list');
  const names = text.split(',').map((s) => normalizeKey(s.trim()));
  const unknown = names.filter((n) => !SELECTABLE.has(n));
  if (unknown.length) throw bad('$select', `$select names top-level referral properties, separated by commas (unknown: '${unknown.join("', '")}')`);
  return names;
}

/** A rendered referral cut down to the selected properties. */
export function project(json: string, select: string[] | null): string {
  if (!select) return json;
  const doc = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(Object.fromEntries(select.filter((k) => Object.hasOwn(doc, k)).map((k) => [k, doc[k]])));
}

/** The `$` query options of `query` outside `supported`. */
export function unsupportedOptions(query: object, supported: readonly string[]): string[] {
  return Object.keys(query).filter((k) => k.startsWith('$') && !supported.includes(k));
}
export type ListQuery = z.infer<typeof listQuerySchema>;

interface Cursor {
  o: string;
  d: 'asc' | 'desc';
  k: string;
  i: string;
}

export interface ListPage {
  items: RawRow[];
  count?: number;
  /** The query string of the next page, when there is one. */
  next?: string;
}

const bad = (target: string, message: string) => new ApiError(400, 'invalidRequest', message, target);

function parseOrder(text: string | undefined): { key: string; dir: 'asc' | 'desc' } {
  if (!text) return { key: 'createdDateTime', dir: 'asc' };
  const m = /^\s*([A-Za-z]+)(?:\s+(asc|desc))?\s*$/i.exec(text);
  const key = m ? normalizeKey(m[1]!) : '';
  if (!m || !SORT_KEYS.has(key)) throw bad('$orderby', `$orderby supports one of ${[...SORT_KEYS.keys()].join(', ')} with asc or desc (got '${text}')`);
  return { key, dir: (m[2]?.toLowerCase() ?? 'asc') as 'asc' | 'desc' };
}

function decodeToken(token: string, key: string, dir: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (c.o === key && c.d === dir && typeof c.k === 'string' && typeof c.i === 'string') return c;
  } catch {
    /* falls through to the error below */
  }
  throw bad('$skiptoken', '$skiptoken is not valid for this query: follow @odata.nextLink unchanged');
}

export function listReferrals(repo: Repository, caller: Organization, q: ListQuery): ListPage {
  const top = q.$top === undefined ? PAGE_SIZE : Number(q.$top);
  if (top < 1 || top > PAGE_SIZE) throw bad('$top', `$top must be from 1 to ${PAGE_SIZE}`);
  let filter;
  try {
    filter = q.$filter ? compileFilter(q.$filter) : null;
  } catch (err) {
    if (err instanceof FilterError) throw new ApiError(400, err.code, err.message, '$filter');
    throw err;
  }
  const { key, dir } = parseOrder(q.$orderby);
  const col = SORT_KEYS.get(key)!;
  const related = (filter?.engagementIds.length ?? 0) > 0;
  const where = [related ? '(r.org_id = ? OR r.inviter_org_id = ?)' : 'r.org_id = ?'];
  const params: unknown[] = related ? [caller.id, caller.id] : [caller.id];
  if (filter) {
    where.push(filter.sql);
    params.push(...filter.params);
  }
  const count = q.$count === 'true' ? repo.countWhere(where.join(' AND '), params) : undefined;
  if (q.$skiptoken) {
    const c = decodeToken(q.$skiptoken, key, dir);
    const cmp = dir === 'asc' ? '>' : '<';
    where.push(`(${col} ${cmp} ? OR (${col} = ? AND r.id ${cmp} ?))`);
    params.push(c.k, c.k, c.i);
  }
  const rows = repo.selectRaw(where.join(' AND '), params, `${col} ${dir}, r.id ${dir}`, top + 1);
  const items = rows.slice(0, top);
  const page: ListPage = { items, ...(count !== undefined ? { count } : {}) };
  if (rows.length > top) {
    const last = items[items.length - 1]!;
    const k = key === 'createdDateTime' ? last.created : key === 'updatedDateTime' ? last.updated : last.name;
    const token = Buffer.from(JSON.stringify({ o: key, d: dir, k, i: last.id } satisfies Cursor)).toString('base64url');
    const parts = [
      ...(q.$select ? [`$select=${encodeURIComponent(q.$select)}`] : []),
      ...(q.$filter ? [`$filter=${encodeURIComponent(q.$filter)}`] : []),
      ...(q.$orderby ? [`$orderby=${encodeURIComponent(q.$orderby)}`] : []),
      ...(q.$top ? [`$top=${q.$top}`] : []),
      ...(q.$count ? [`$count=${q.$count}`] : []),
      `$skiptoken=${token}`,
    ];
    page.next = parts.join('&');
  }
  return page;
}
