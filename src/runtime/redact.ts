/**
 * Redaction for everything that leaves the process as text (log lines, CRM status lines, CLI errors).
 * Two nets: keys that name secrets are blanked wherever they appear, and every secret value the process has
 * read is masked inside any string, so a token echoed in an error message from a remote cannot leak.
 */
const SECRET_KEY =
  /(^|[-_.])(token|secret|password|passwd|pwd|authorization|api[-_]?key|apikey|assertion|cookie|private[-_]?key|client[-_]?secret|refresh[-_]?token|access[-_]?token|id[-_]?token)s?$/i;
const BEARER = /\b(Bearer|Basic|Signature)\s+[A-Za-z0-9._~+/=-]{6,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const QUERY_SECRET = /([?&](?:access_token|refresh_token|client_secret|password|assertion|code)=)[^&\s"']+/gi;

const knownSecrets = new Set<string>();

/** Remember a secret value so it is masked wherever it shows up later. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || key.toLowerCase() === 'authorization';
}

export function redactString(s: string): string {
  let out = s.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`).replace(JWT, REDACTED);
  out = out.replace(QUERY_SECRET, `$1${REDACTED}`);
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Deep copy with secrets removed; cycles and depth are bounded so a logged error object cannot hang us. */
export function redact<T>(value: T, depth = 0, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value as object)) return '[…]' as T;
  seen.add(value as object);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen)) as T;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), code: (value as { code?: unknown }).code } as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1, seen);
  }
  return out as T;
}
