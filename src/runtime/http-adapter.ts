/**
 * A lean axios adapter for text-in, text-out JSON APIs: one `http(s).request` on a keep-alive agent, the body
 * collected as a string. axios's own Node adapter wraps every call in progress and transform streams, redirect
 * and proxy handling and decompression pipes; a sync sends one call per record, so that machinery was a large
 * share of the client's CPU per record (bench/profile.ts). What callers rely on is kept: the timeout (error code
 * ECONNABORTED), the abort signal (CanceledError), maxContentLength, socket errors with their codes, gzip/deflate/br
 * answers decoded, and validateStatus applied.
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type AxiosAdapter, AxiosError, type AxiosResponse, CanceledError, type InternalAxiosRequestConfig } from 'axios';

const decoders: Record<string, () => NodeJS.ReadWriteStream> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };

function bodyOf(config: InternalAxiosRequestConfig): string | Buffer | undefined {
  const data: unknown = config.data;
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  // createTextAxios sends bodies as text: anything else is a caller's mistake, not something to guess at.
  throw new AxiosError('the text adapter sends string or Buffer bodies only', AxiosError.ERR_BAD_REQUEST, config);
}

export const textAdapter: AxiosAdapter = (config) =>
  new Promise<AxiosResponse>((resolve, reject) => {
    if (config.params) throw new AxiosError('the text adapter takes query parameters in the URL', AxiosError.ERR_BAD_OPTION, config);
    const url = new URL(config.url ?? '', config.baseURL);
    const secure = url.protocol === 'https:';
    const body = bodyOf(config);
    const headers: Record<string, string | number> = {};
    let encodings = false;
    const given = config.headers.toJSON(true) as Record<string, unknown>;
    for (const k of Object.keys(given)) {
      const v = given[k];
      if (v === undefined || v === null) continue;
      headers[k] = String(v);
      encodings ||= k.toLowerCase() === 'accept-encoding';
    }
    if (!encodings) headers['Accept-Encoding'] = 'gzip, deflate, br';
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const signal = config.signal as AbortSignal | undefined;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(err);
    };
    const onAbort = () => fail(new CanceledError(undefined, config, req));

    const req = (secure ? https : http).request(
      url,
      { method: (config.method ?? 'get').toUpperCase(), headers, agent: secure ? (config.httpsAgent ?? https.globalAgent) : (config.httpAgent ?? http.globalAgent) },
      (res) => {
        const decode = decoders[String(res.headers['content-encoding'] ?? '').toLowerCase()];
        const stream = decode ? pipeline(res, decode(), () => {}) : res;
        const limit = config.maxContentLength ?? -1;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (limit > -1 && size > limit) fail(new AxiosError(`maxContentLength size of ${limit} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, req));
          else chunks.push(c);
        });
        stream.on('error', (err: Error) => fail(AxiosError.from(err, (err as { code?: string }).code ?? AxiosError.ERR_BAD_RESPONSE, config, req)));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          const data = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          const response: AxiosResponse = { data, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers as never, config, request: req };
          const ok = config.validateStatus ? config.validateStatus(response.status) : true;
          if (ok) resolve(response);
          else
            reject(
              new AxiosError(
                `Request failed with status code ${response.status}`,
                response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
                config,
                req,
                response,
              ),
            );
        });
      },
    );
    req.on('error', (err) => fail(AxiosError.from(err, (err as { code?: string }).code, config, req)));
    if (config.timeout) req.setTimeout(config.timeout, () => fail(new AxiosError(`timeout of ${config.timeout}ms exceeded`, AxiosError.ECONNABORTED, config, req)));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
