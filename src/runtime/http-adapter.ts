/**
 * A lean axios adapter for text-in, text-out JSON APIs: one `dispatch` on the instance's undici Agent, the
 * body collected as a string. axios's own Node adapter wraps every call in progress and transform streams,
 * redirect and proxy handling and decompression pipes, and `http.request` itself costs about twice undici's
 * client CPU per call; a sync sends one call per record, so both were a large share of the client's CPU per
 * record (bench/profile.ts, bench/client-path.ts). What callers rely on is kept: the whole call's timeout (error
 * code ECONNABORTED), the abort signal (CanceledError), maxContentLength, socket errors with Node's codes (undici's
 * own mapped back), gzip/deflate/br answers decoded, and validateStatus applied.
 */
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type AxiosAdapter, AxiosError, type AxiosResponse, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';

const decoders: Record<string, () => Transform> = { gzip: createGunzip, 'x-gzip': createGunzip, deflate: createInflate, br: createBrotliDecompress };

function bodyOf(config: InternalAxiosRequestConfig): string | Buffer | undefined {
  const data: unknown = config.data;
  if (data === undefined || data === null) return undefined;
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  // createTextAxios sends bodies as text: anything else is a caller's mistake, not something to guess at.
  throw new AxiosError('the text adapter sends string or Buffer bodies only', AxiosError.ERR_BAD_REQUEST, config);
}

/** The code `http.request` gave for what undici reports in its own words: callers classify timeouts, resets and refusals by it. */
function nodeCode(err: Error & { code?: string; cause?: unknown }): string | undefined {
  switch (err.code) {
    case 'UND_ERR_SOCKET': // the server closed the connection before answering in full ('socket hang up')
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return (err.cause as { code?: string } | undefined)?.code ?? 'ECONNRESET';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'ETIMEDOUT';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return AxiosError.ECONNABORTED;
    default:
      return err.code;
  }
}

/** Node's header shape: a repeated header joined into one value, set-cookie alone kept as a list. */
function joined(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  for (const k in headers) {
    const v = headers[k];
    if (Array.isArray(v) && k !== 'set-cookie') headers[k] = v.join(', ');
  }
  return headers;
}

/** The call as undici takes it; `Accept-Encoding` defaults to what the adapter decodes. */
function requestOf(config: InternalAxiosRequestConfig): Dispatcher.DispatchOptions {
  if (config.params) throw new AxiosError('the text adapter takes query parameters in the URL', AxiosError.ERR_BAD_OPTION, config);
  const url = new URL(config.url ?? '', config.baseURL);
  const body = bodyOf(config);
  const headers: Record<string, string> = {};
  let encodings = false;
  const given = config.headers.toJSON(true) as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    const v = given[k];
    if (v === undefined || v === null) continue;
    headers[k] = String(v);
    encodings ||= k.toLowerCase() === 'accept-encoding';
  }
  if (!encodings) headers['Accept-Encoding'] = 'gzip, deflate, br';
  return { origin: url.origin, path: url.pathname + url.search, method: (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod, headers, body: body ?? null };
}

/** One call on the dispatcher, its answer's body collected (through a decoder when it is compressed). */
export const textAdapter =
  (dispatcher: Dispatcher): AxiosAdapter =>
  (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const request = requestOf(config);
      const signal = config.signal as AbortSignal | undefined;
      const limit = config.maxContentLength ?? -1;
      /** undici's handle on the request, once it is on a connection; until then a failure waits for it here. */
      let controller: Dispatcher.DispatchController | undefined;
      let settled: Error | true | undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error) => {
        if (settled) return;
        settled = err;
        done();
        controller?.abort(err);
        reject(err);
      };
      const onAbort = () => fail(new CanceledError(undefined, config));
      // The whole call, not an idle socket: undici's own header and body timeouts would each restart the clock.
      const timer = config.timeout ? setTimeout(() => fail(new AxiosError(`timeout of ${config.timeout}ms exceeded`, AxiosError.ECONNABORTED, config)), config.timeout) : undefined;
      // A signal aborted before the call never gets here: axios refuses it first (dispatchRequest).
      signal?.addEventListener('abort', onAbort, { once: true });

      let status = 0;
      let statusText = '';
      let answerHeaders: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let size = 0;
      const take = (c: Buffer) => {
        size += c.length;
        if (limit > -1 && size > limit) fail(new AxiosError(`maxContentLength size of ${limit} exceeded`, AxiosError.ERR_BAD_RESPONSE, config));
        else chunks.push(c);
      };
      let decoder: Transform | undefined;
      const finish = () => {
        if (settled) return;
        settled = true;
        done();
        const data = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        const response: AxiosResponse = { data, status, statusText, headers: joined(answerHeaders) as never, config };
        const ok = config.validateStatus ? config.validateStatus(status) : true;
        if (ok) resolve(response);
        else
          reject(new AxiosError(`Request failed with status code ${status}`, status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE, config, undefined, response));
      };
      const broken = (err: Error & { code?: string }) => fail(AxiosError.from(err, nodeCode(err) ?? AxiosError.ERR_BAD_RESPONSE, config));

      // dispatch rather than undici's `request`: no body stream per answer and no AbortSignal listener inside
      // undici, 10–20 µs of client CPU less per call under axios (bench/RESULTS.md).
      dispatcher.dispatch(request, {
        onRequestStart(c) {
          controller = c;
          if (settled instanceof Error) c.abort(settled);
        },
        onResponseStart(_c, statusCode, h, message) {
          if (statusCode < 200) return; // 1xx: the answer is still to come
          status = statusCode;
          statusText = message ?? '';
          answerHeaders = h;
          const decode = decoders[String(h['content-encoding'] ?? '').toLowerCase()];
          if (!decode) return;
          decoder = decode();
          decoder.on('data', take);
          decoder.on('error', broken);
          decoder.on('end', finish);
        },
        onResponseData(_c, chunk) {
          if (settled) return;
          if (decoder) decoder.write(chunk);
          else take(chunk);
        },
        onResponseEnd() {
          if (decoder) decoder.end();
          else finish();
        },
        onResponseError(_c, err) {
          decoder?.destroy();
          broken(err);
        },
      });
    });
