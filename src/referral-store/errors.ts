/**
 * The API's error vocabulary (referrals-api.md "Errors and limits"): one class carrying the HTTP status, the
 * documented code, the offending field (`target`) and every problem found (`details`), and the one function
 * that renders it as `{ error: { code, message, target, details? } }`.
 */
import type { Issue } from '../domain/index.js';

export interface ErrorDetail {
  code: string;
  message: string;
  target: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target: string | null = null,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers (Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; target: string | null; details?: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, target: this.target, ...(this.details.length ? { details: this.details } : {}) } };
  }
}

/** 400 listing every issue with its path; the first issue names the target. */
export function invalidRequest(message: string, issues: Issue[], code = 'invalidRequest', status = 400): ApiError {
  const details = issues.map((i) => ({ code: 'invalidValue', message: i.message, target: i.path }));
  const summary = issues.length ? `${message}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : message;
  return new ApiError(status, code, summary, issues[0]?.path ?? null, details);
}

export const notFound = (what: string, target: string | null = 'id') => new ApiError(404, 'itemNotFound', `${what} was not found`, target);

/** zod issue paths (['team', 0, 'email']) as the dotted/indexed form the domain uses (`team[0].email`). */
export function zodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(body)';
}

export function zodIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[], prefix = ''): Issue[] {
  return issues.flatMap((i) => {
    const base = zodPath(i.path);
    const path = prefix ? (base === '(body)' ? prefix : `${prefix}${base.startsWith('[') ? '' : '.'}${base}`) : base;
    // One issue per unknown property, so each is named.
    if (i.code === 'unrecognized_keys' && i.keys?.length) {
      return i.keys.map((k) => ({ path: path === '(body)' ? k : `${path}.${k}`, message: `unknown property '${k}'` }));
    }
    return [{ path, message: i.message }];
  });
}
