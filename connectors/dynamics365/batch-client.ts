/** Building a `$batch` request body and reading its multipart response (one answer per request). */
import { RemoteError } from '../../src/runtime/index.js';
import { parseAnswer } from '../shared/index.js';
import { batchAnswerSchema, type BatchAnswer } from './answers.js';

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

export type { BatchAnswer } from './answers.js';

/**
 * Read a multipart/mixed `$batch` response: one answer per request, change sets flattened, in order, each parsed
 * at the boundary; a response that is not multipart, holds another count of answers or a malformed one is a
 * RemoteError naming the call.
 */
export function readBatch(label: string, res: { status: number; contentType: string; body: string }, expected: number): BatchAnswer[] {
  const boundary = boundaryOf(res.contentType);
  if (!boundary) throw new RemoteError(`Dynamics 365 ${label}: the batch response is not multipart/mixed (Content-Type: ${res.contentType || 'none'})`, res.status);
  const parts = splitBatch(boundary, res.body);
  if (parts.length !== expected) throw new RemoteError(`Dynamics 365 ${label}: the batch response holds ${parts.length} answers for ${expected} requests (truncated?)`, res.status);
  return parts.map((p, i) => parseAnswer('Dynamics 365', `${label} (batch answer ${i + 1} of ${expected})`, batchAnswerSchema, p, res.status));
}

const boundaryOf = (contentType: string) => /boundary="?([^";\r\n]+)"?/i.exec(contentType)?.[1];

/** The raw parts of a multipart body, flattening change sets, in order. */
function splitBatch(boundary: string, body: string): { statusLine: string; headers: Record<string, string>; body: string }[] {
  const out: ReturnType<typeof splitBatch> = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const text = chunk.replace(/^\r?\n/, '');
    const sep = /\r?\n\r?\n/.exec(text);
    if (!sep) continue;
    const head = text.slice(0, sep.index);
    const rest = text.slice(sep.index + sep[0].length);
    const inner = /content-type:\s*multipart\/mixed;/i.test(head) ? boundaryOf(head) : undefined;
    if (inner) {
      out.push(...splitBatch(inner, rest));
      continue;
    }
    const sep2 = /\r?\n\r?\n/.exec(rest);
    const httpHead = sep2 ? rest.slice(0, sep2.index) : rest;
    const httpBody = sep2 ? rest.slice(sep2.index + sep2[0].length).trim() : '';
    const [statusLine = '', ...headerLines] = httpHead.split(/\r?\n/);
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    out.push({ statusLine, headers, body: httpBody });
  }
  return out;
}
