/**
 * `$batch` (OData multipart/mixed, as Dataverse speaks it): requests outside change sets run in order and stop
 * at the first failure unless `Prefer: odata.continue-on-error`; a change set is atomic — all or nothing.
 */
import { randomUUID } from 'node:crypto';
import { DataverseError } from './dataverse.js';
import type { ApiRequest, ApiResponse, WebApi } from './webapi.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

interface Part {
  headers: Record<string, string>;
  body: string;
}

function boundaryOf(contentType: string | undefined): string | null {
  return /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1] ?? null;
}

function splitParts(body: string, boundary: string): Part[] {
  const chunks = body.split(`--${boundary}`);
  const parts: Part[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    const text = chunk.replace(/^\r?\n/, '');
    const split = /\r?\n\r?\n/.exec(text);
    const head = split ? text.slice(0, split.index) : text;
    const rest = split ? text.slice(split.index + split[0].length) : '';
    parts.push({ headers: headerMap(head), body: rest.replace(/\r?\n$/, '') });
  }
  return parts;
}

function headerMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** One `application/http` part → a request for the dispatcher. */
function toRequest(part: Part, apiPrefix: string): { req: ApiRequest; contentId?: string } {
  const split = /\r?\n\r?\n/.exec(part.body);
  const head = split ? part.body.slice(0, split.index) : part.body;
  const body = split ? part.body.slice(split.index + split[0].length).trim() : '';
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const m = /^(GET|POST|PATCH|PUT|DELETE)\s+(\S+)(?:\s+HTTP\/1\.1)?$/i.exec(requestLine.trim());
  if (!m) throw new DataverseError(400, '0x80048d19', `The batch request line '${requestLine}' is not valid.`);
  const target = new URL(m[2]!, 'https://sandbox.invalid/');
  const path = target.pathname.replace(new RegExp(`^/?(${apiPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})?/?`), '');
  let parsed: unknown;
  if (body) {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new DataverseError(400, '0x80048d19', 'A request body in the batch is not valid JSON.');
    }
  }
  return {
    req: { method: m[1]!.toUpperCase(), path, query: target.searchParams, headers: headerMap(headerLines.join('\n')), body: parsed },
    ...(part.headers['content-id'] ? { contentId: part.headers['content-id'] } : {}),
  };
}

function formatResponse(res: ApiResponse, contentId?: string): string {
  const lines = [
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    ...(contentId ? [`Content-ID: ${contentId}`] : []),
    '',
    `HTTP/1.1 ${res.status} ${STATUS_TEXT[res.status] ?? ''}`.trimEnd(),
  ];
  for (const [k, v] of Object.entries(res.headers)) lines.push(`${k}: ${v}`);
  lines.push('');
  if (res.body !== undefined) lines.push(JSON.stringify(res.body));
  return lines.join('\r\n');
}

class ChangeSetFailed extends Error {
  constructor(
    readonly response: ApiResponse,
    readonly contentId?: string,
  ) {
    super('change set failed');
  }
}

export function runBatch(api: WebApi, contentType: string | undefined, raw: string, prefer: string, apiPrefix: string): { contentType: string; body: string } {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new DataverseError(400, '0x80048d19', 'A $batch request needs Content-Type: multipart/mixed with a boundary.');
  const parts = splitParts(raw, boundary);
  if (parts.length > 1000) throw new DataverseError(400, '0x80048d19', 'The number of requests in a batch cannot exceed 1000.');
  const continueOnError = /odata\.continue-on-error/i.test(prefer);
  const out = `batchresponse_${randomUUID()}`;
  const sections: string[] = [];
  for (const part of parts) {
    const inner = boundaryOf(part.headers['content-type']);
    if (inner) {
      // A change set: run atomically; the first failure rolls back the set and is its only response.
      const cs = `changesetresponse_${randomUUID()}`;
      let responses: string[];
      try {
        responses = api.atomically(() =>
          splitParts(part.body, inner).map((p) => {
            const { req, contentId } = toRequest(p, apiPrefix);
            const res = api.dispatch(req);
            if (res.status >= 400) throw new ChangeSetFailed(res, contentId);
            return formatResponse(res, contentId);
          }),
        );
      } catch (err) {
        if (!(err instanceof ChangeSetFailed)) throw err;
        sections.push(formatResponse(err.response, err.contentId));
        if (!continueOnError) break;
        continue;
      }
      sections.push(`Content-Type: multipart/mixed; boundary=${cs}\r\n\r\n${responses.map((r) => `--${cs}\r\n${r}`).join('\r\n')}\r\n--${cs}--`);
      continue;
    }
    let res: ApiResponse;
    let contentId: string | undefined;
    try {
      const parsed = toRequest(part, apiPrefix);
      contentId = parsed.contentId;
      res = api.dispatch(parsed.req);
    } catch (err) {
      if (!(err instanceof DataverseError)) throw err;
      res = { status: err.status, headers: { 'Content-Type': 'application/json; odata.metadata=minimal' }, body: { error: { code: err.code, message: err.message } } };
    }
    sections.push(formatResponse(res, contentId));
    if (res.status >= 400 && !continueOnError) break;
  }
  return { contentType: `multipart/mixed; boundary=${out}`, body: `${sections.map((s) => `--${out}\r\n${s}`).join('\r\n')}\r\n--${out}--\r\n` };
}
