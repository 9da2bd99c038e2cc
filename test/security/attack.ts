/**
 * The outsider's toolkit: raw HTTP requests whose path is sent byte for byte (fetch would normalise `..`,
 * `//` and case), and the path spellings a router may decode to the same route while a string test of the URL
 * would not.
 */
import http from 'node:http';
import https from 'node:https';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any;
}

export function raw(
  origin: string,
  method: string,
  path: string,
  opts: { key?: string | null; body?: unknown; ca?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const u = new URL(origin);
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: {
          ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const pct = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
const swapCase = (s: string) => [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');

/**
 * Spellings of `path` (no query): plain, percent-encoded (first character of each segment, lower-case hex, every
 * character), double slashes, dot segments, mixed case, a trailing slash.
 */
export function spellings(path: string): Record<string, string> {
  const segs = path.split('/').slice(1);
  const join = (parts: string[]) => `/${parts.join('/')}`;
  return {
    plain: path,
    'encoded-first': join(segs.map((s) => (s ? pct(s[0]!) + s.slice(1) : s))),
    'encoded-lower': join(segs.map((s) => (s ? pct(s[0]!).toLowerCase() + s.slice(1) : s))),
    'encoded-all': join(segs.map((s) => [...s].map(pct).join(''))),
    'double-slash-lead': `/${path}`,
    'double-slash-inner': path.replace(/\/(?=[^/]*$)/, '//'),
    'dot-segment': `/x/..${path}`,
    'dot-current': `/.${path}`,
    'encoded-dot-segment': `/x/%2E%2E${path}`,
    'mixed-case': join(segs.map(swapCase)),
    'trailing-slash': `${path}/`,
  };
}
