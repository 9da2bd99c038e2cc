/** Building a `$batch` request body and reading its multipart response (one answer per request). */
export interface BatchPart {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the Web API root, e.g. `opportunities(…)`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export function buildBatch(boundary: string, apiPath: string, parts: BatchPart[]): string {
  const lines: string[] = [];
  for (const p of parts) {
    lines.push(`--${boundary}`, 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '');
    lines.push(`${p.method} ${apiPath}${p.path} HTTP/1.1`);
    if (p.body !== undefined) lines.push('Content-Type: application/json; type=entry');
    for (const [k, v] of Object.entries(p.headers ?? {})) lines.push(`${k}: ${v}`);
    lines.push('');
    if (p.body !== undefined) lines.push(JSON.stringify(p.body));
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\r\n');
}

export interface BatchAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parse a multipart/mixed batch response, flattening change sets, in order. */
export function parseBatch(contentType: string, body: string): BatchAnswer[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error('the batch response has no multipart boundary');
  const out: BatchAnswer[] = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const text = chunk.replace(/^\r?\n/, '');
    const sep = /\r?\n\r?\n/.exec(text);
    if (!sep) continue;
    const head = text.slice(0, sep.index);
    const rest = text.slice(sep.index + sep[0].length);
    const inner = /content-type:\s*multipart\/mixed;\s*boundary="?([^";\r\n]+)"?/i.exec(head);
    if (inner) {
      out.push(...parseBatch(`multipart/mixed; boundary=${inner[1]}`, rest));
      continue;
    }
    const sep2 = /\r?\n\r?\n/.exec(rest);
    const httpHead = sep2 ? rest.slice(0, sep2.index) : rest;
    const httpBody = sep2 ? rest.slice(sep2.index + sep2[0].length).trim() : '';
    const [statusLine = '', ...headerLines] = httpHead.split(/\r?\n/);
    const status = Number(/HTTP\/1\.1\s+(\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    out.push({ status, headers, body: httpBody });
  }
  return out;
}
