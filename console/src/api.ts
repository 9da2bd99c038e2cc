/**
 * The console's only way to the service: same-origin calls to /api/v1 with the signed-in bearer token. The
 * token lives in sessionStorage (gone when the tab closes). Errors become sentences a person can act on.
 */
const KEY = 'cosell-sync.token';

export type Role = 'read' | 'admin';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** What went wrong, in words (the API's own message when it has one). */
function explain(status: number, body: unknown): string {
  const message = (body as { error?: { message?: string } } | null)?.error?.message;
  if (status === 401) return 'The token was not accepted. Sign in again with the read-only or the admin token.';
  if (status === 403) return 'This needs the admin token; you are signed in with the read-only token.';
  if (message) return message.charAt(0).toUpperCase() + message.slice(1);
  if (status >= 500) return 'The service could not do this (it logged the details). Try again in a moment.';
  return `The service answered ${status}.`;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, auth = token.get()): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: { ...(auth ? { Authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'The service cannot be reached. Is it running?');
  }
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const problems = (parsed as { error?: { problems?: { path: string; message: string }[] } } | null)?.error?.problems ?? [];
    throw new ApiError(res.status, explain(res.status, parsed), problems);
  }
  return parsed as T;
}

export const q = (params: Record<string, string | number | undefined | null>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
