/**
 * An HTTP API on loopback (port 0) that answers as the test scripts it: each request (method, path with its query,
 * headers, body parsed when it is JSON) is recorded and handed to `answer`, which gives the status, the body (an
 * object goes out as JSON) and headers. Real HTTP, so every client transport is exercised, undici's included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export type ScriptedAnswer = [status: number, body?: unknown, headers?: Record<string, string>];

export interface ScriptedApi {
  /** e.g. http://127.0.0.1:1234 */
  url: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

/** A request's body as text, and parsed (`json`) when it is JSON. */
export async function readBody(req: http.IncomingMessage): Promise<{ raw: string; json?: unknown }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return { raw, json: JSON.parse(raw) };
  } catch {
    return { raw };
  }
}

export async function startScriptedApi(answer: (req: ScriptedRequest) => ScriptedAnswer): Promise<ScriptedApi> {
  const requests: ScriptedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const { raw, json } = await readBody(req);
    const r: ScriptedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: json ?? raw };
    requests.push(r);
    const [status, out, headers = {}] = answer(r);
    const asJson = out !== undefined && typeof out !== 'string';
    res.writeHead(status, { ...(asJson ? { 'Content-Type': 'application/json' } : {}), ...headers });
    res.end(asJson ? JSON.stringify(out) : (out ?? ''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
