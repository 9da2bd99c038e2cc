/**
 * Composite resources: sObject Collections (create, update, upsert, retrieve, delete; up to 200 records with
 * per-record results; `allOrNone` really rolls back), the Composite API (up to 25 subrequests in order with
 * `@{referenceId.path}` references) and Composite Batch (up to 25 independent subrequests). Subrequests run
 * through the app itself, so they get exactly the answers of the single-record routes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SalesforceApiError, type Row } from '../org.js';
import { renderRow } from '../query-exec.js';
import { handle, sfError, type SandboxContext } from '../context.js';

const MAX_RECORDS = 200;
const MAX_SUBREQUESTS = 25;
const NESTED = 'x-sandbox-composite-subrequest';

type RecordResult = { id?: string; success: boolean; errors: { statusCode: string; message: string; fields: string[] }[]; created?: boolean };

class RolledBack extends Error {}

const failure = (err: SalesforceApiError, id?: unknown): RecordResult => ({
  ...(typeof id === 'string' ? { id } : {}),
  success: false,
  errors: [{ statusCode: err.errorCode, message: err.message, fields: err.fields }],
});

export function compositeRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { org, authed } = ctx;
  const v = '/services/data/:version';

  /** Per-record work; with allOrNone, the first failure undoes the call and every record reports why. */
  const perRecord = (items: unknown[], allOrNone: boolean, one: (item: unknown) => RecordResult): RecordResult[] => {
    const run = () =>
      items.map((item) => {
        try {
          return one(item);
        } catch (err) {
          if (!(err instanceof SalesforceApiError)) throw err;
          const r = failure(err, (item as Row | null)?.Id ?? (item as Row | null)?.id ?? (typeof item === 'string' ? item : undefined));
          if (allOrNone) throw Object.assign(new RolledBack(), { first: r });
          return r;
        }
      });
    if (!allOrNone) return run();
    try {
      return org.atomically(run);
    } catch (err) {
      if (!(err instanceof RolledBack)) throw err;
      const first = (err as RolledBack & { first: RecordResult }).first;
      // Salesforce reports the failing record's own error and ALL_OR_NONE_OPERATION_ROLLED_BACK for the rest.
      return items.map((item) => {
        const id = (item as Row | null)?.Id ?? (item as Row | null)?.id ?? (typeof item === 'string' ? item : undefined);
        if (first.id !== undefined ? first.id === id : false) return first;
        return {
          ...(typeof id === 'string' ? { id } : {}),
          success: false,
          errors: [
            {
              statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
              message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
              fields: [],
            },
          ],
        };
      });
    }
  };

  const collectionBody = (req: FastifyRequest) => {
    const b = (req.body ?? {}) as { allOrNone?: unknown; records?: unknown };
    if (!Array.isArray(b.records)) throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'records: an array of sObjects is required');
    if (b.records.length > MAX_RECORDS) throw new SalesforceApiError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
    return { records: b.records as Row[], allOrNone: b.allOrNone === true };
  };
  const typeOf = (r: Row) => {
    const object = (r?.attributes as { type?: unknown } | undefined)?.type;
    if (typeof object !== 'string' || !object) throw new SalesforceApiError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
    return object;
  };
  const idOf = (r: Row) => {
    // Field names are case-insensitive in Salesforce; jsforce sends the record id as `id`.
    const id = r.Id ?? r.id;
    if (typeof id !== 'string') throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call');
    return id;
  };

  app.post(
    `${v}/composite/sobjects`,
    { preHandler: authed },
    handle((req) => {
      const { records, allOrNone } = collectionBody(req);
      return perRecord(records, allOrNone, (r) => {
        const rec = r as Row;
        if (rec.Id ?? rec.id) throw new SalesforceApiError(400, 'INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
        return { id: org.insert(typeOf(rec), rec), success: true, errors: [] };
      });
    }),
  );
  app.patch(
    `${v}/composite/sobjects`,
    { preHandler: authed },
    handle((req) => {
      const { records, allOrNone } = collectionBody(req);
      return perRecord(records, allOrNone, (r) => {
        const rec = r as Row;
        const id = idOf(rec);
        org.update(typeOf(rec), id, rec);
        return { id, success: true, errors: [] };
      });
    }),
  );
  // Upsert by external id: each record needs the key field; created tells insert from update.
  app.patch(
    `${v}/composite/sobjects/:object/:field`,
    { preHandler: authed },
    handle((req) => {
      const { object, field } = req.params as { object: string; field: string };
      const { records, allOrNone } = collectionBody(req);
      const def = org.schema(object).fields.find((f) => f.name.toLowerCase() === field.toLowerCase());
      if (!def?.externalId) throw new SalesforceApiError(400, 'INVALID_FIELD', `Field name provided, ${field} does not match an External ID for ${object}`);
      return perRecord(records, allOrNone, (r) => {
        const rec = r as Row;
        const key = Object.entries(rec).find(([k]) => k.toLowerCase() === def.name.toLowerCase())?.[1];
        if (typeof key !== 'string' || !key) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', `${def.name} not specified`, [def.name]);
        const hits = org.all(object).filter((row) => String(row[def.name] ?? '').toLowerCase() === key.toLowerCase());
        if (hits.length > 1)
          throw new SalesforceApiError(300, 'DUPLICATE_EXTERNAL_ID', `${def.name}: more than one record found for external id field: ${hits.map((h) => h.Id).join(', ')}`, [
            def.name,
          ]);
        if (hits.length === 1) {
          org.update(object, String(hits[0]!.Id), rec);
          return { id: String(hits[0]!.Id), success: true, errors: [], created: false };
        }
        return { id: org.insert(object, rec), success: true, errors: [], created: true };
      });
    }),
  );
  const retrieve = (req: FastifyRequest, ids: unknown, fields: unknown) => {
    const { object, version } = req.params as { object: string; version: string };
    const idList = Array.isArray(ids)
      ? ids.map(String)
      : String(ids ?? '')
          .split(',')
          .filter(Boolean);
    const fieldList = Array.isArray(fields)
      ? fields.map(String)
      : String(fields ?? '')
          .split(',')
          .filter(Boolean);
    if (!idList.length || !fieldList.length) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'ids and fields are required');
    if (idList.length > 2000) throw new SalesforceApiError(400, 'EXCEEDED_ID_LIMIT', 'cannot retrieve more than 2000 records in one call');
    for (const f of fieldList) org.fieldName(object, f);
    // Salesforce answers null in the place of an id it cannot find.
    return idList.map((id) => {
      try {
        return renderRow(org, object, org.get(object, id), fieldList, version);
      } catch (err) {
        if (err instanceof SalesforceApiError && err.status === 404) return null;
        throw err;
      }
    });
  };
  app.get(
    `${v}/composite/sobjects/:object`,
    { preHandler: authed },
    handle((req) => {
      const q = req.query as { ids?: string; fields?: string };
      return retrieve(req, q.ids, q.fields);
    }),
  );
  app.post(
    `${v}/composite/sobjects/:object`,
    { preHandler: authed },
    handle((req) => {
      const b = (req.body ?? {}) as { ids?: unknown; fields?: unknown };
      return retrieve(req, b.ids, b.fields);
    }),
  );
  app.delete(
    `${v}/composite/sobjects`,
    { preHandler: authed },
    handle((req) => {
      const q = req.query as { ids?: string; allOrNone?: string };
      const ids = String(q.ids ?? '')
        .split(',')
        .filter(Boolean);
      if (ids.length > MAX_RECORDS) throw new SalesforceApiError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
      return perRecord(ids, q.allOrNone === 'true', (id) => {
        const object = org.objectOfId(String(id));
        if (!object) throw new SalesforceApiError(404, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
        org.remove(object, String(id));
        return { id: String(id), success: true, errors: [] };
      });
    }),
  );

  /** One subrequest through the app, with the caller's session. */
  const dispatch = async (req: FastifyRequest, method: string, url: string, body: unknown) => {
    const res = await app.inject({
      method: method.toUpperCase() as 'GET',
      url,
      // Marks the subrequest, so a composite or batch call inside it is refused on the route it matched.
      headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json', [NESTED]: '1' },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    ctx.stats.used--; // a composite call counts once against the daily budget
    const json = /json/i.test(String(res.headers['content-type'] ?? ''));
    return { status: res.statusCode, body: !res.body ? null : json ? (JSON.parse(res.body) as unknown) : res.body };
  };
  // Salesforce does not nest composite calls, and a nested one could fan out to 25^n requests.
  const refuseNested = (reply: FastifyReply) => sfError(reply, 400, 'INVALID_BATCH_REQUEST', 'A composite or batch subrequest cannot be another composite or batch request');

  // `@{ref.path}` → the value at that path of an earlier subrequest's answer.
  const substitute = (value: unknown, answers: Map<string, unknown>): unknown => {
    if (typeof value === 'string') {
      return value.replace(/@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g, (m, ref: string, path: string) => {
        let node = answers.get(ref);
        if (node === undefined) throw new SalesforceApiError(400, 'INVALID_REFERENCE', `Invalid reference specified. No value for ${m.slice(2, -1)} found in ${ref}.`);
        for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
          node = step.startsWith('[') ? (node as unknown[])?.[Number(step.slice(1, -1))] : (node as Row)?.[step.slice(1)];
        }
        if (node === undefined || node === null)
          throw new SalesforceApiError(400, 'INVALID_REFERENCE', `Invalid reference specified. No value for ${m.slice(2, -1)} found in ${ref}.`);
        return String(node);
      });
    }
    if (Array.isArray(value)) return value.map((x) => substitute(x, answers));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, substitute(x, answers)]));
    return value;
  };

  app.post(`${v}/composite`, { preHandler: authed }, async (req, reply: FastifyReply) => {
    if (req.headers[NESTED]) return refuseNested(reply);
    const b = (req.body ?? {}) as { allOrNone?: unknown; compositeRequest?: unknown };
    const subs = b.compositeRequest;
    if (!Array.isArray(subs) || subs.length === 0) return sfError(reply, 400, 'JSON_PARSER_ERROR', 'compositeRequest: an array of subrequests is required');
    if (subs.length > MAX_SUBREQUESTS) return sfError(reply, 400, 'INVALID_BATCH_REQUEST', `The composite request can have at most ${MAX_SUBREQUESTS} subrequests`);
    const allOrNone = b.allOrNone === true;
    const answers = new Map<string, unknown>();
    const out: { body: unknown; httpHeaders: Record<string, string>; httpStatusCode: number; referenceId: string }[] = [];
    let failed = false;
    const runAll = async () => {
      for (const s of subs as { method?: string; url?: string; body?: unknown; referenceId?: string }[]) {
        const referenceId = String(s.referenceId ?? '');
        if (failed && allOrNone) {
          out.push({
            body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }],
            httpHeaders: {},
            httpStatusCode: 400,
            referenceId,
          });
          continue;
        }
        let status: number;
        let body: unknown;
        try {
          if (!s.method || !s.url || !referenceId) throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'each subrequest needs method, url and referenceId');
          ({ status, body } = await dispatch(req, s.method, String(substitute(s.url, answers)), s.body === undefined ? undefined : substitute(s.body, answers)));
        } catch (err) {
          if (!(err instanceof SalesforceApiError)) throw err;
          status = err.status;
          body = [{ errorCode: err.errorCode, message: err.message }];
        }
        if (status >= 400) failed = true;
        else answers.set(referenceId, body);
        out.push({ body, httpHeaders: {}, httpStatusCode: status, referenceId });
      }
    };
    if (!allOrNone) {
      await runAll();
      return { compositeResponse: out };
    }
    // All-or-none: the writes of the successful subrequests are reported rolled back — and are.
    try {
      await org.atomicallyAsync(async () => {
        await runAll();
        if (failed) throw new RolledBack();
      });
    } catch (err) {
      if (!(err instanceof RolledBack)) throw err;
      return {
        compositeResponse: out.map((r) =>
          r.httpStatusCode < 400
            ? {
                ...r,
                body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }],
                httpStatusCode: 400,
              }
            : r,
        ),
      };
    }
    return { compositeResponse: out };
  });

  app.post(`${v}/composite/batch`, { preHandler: authed }, async (req, reply: FastifyReply) => {
    if (req.headers[NESTED]) return refuseNested(reply);
    const b = (req.body ?? {}) as { batchRequests?: unknown; haltOnError?: unknown };
    const subs = b.batchRequests;
    if (!Array.isArray(subs) || subs.length === 0) return sfError(reply, 400, 'JSON_PARSER_ERROR', 'batchRequests: an array of subrequests is required');
    if (subs.length > MAX_SUBREQUESTS) return sfError(reply, 400, 'INVALID_BATCH_REQUEST', `A batch can have at most ${MAX_SUBREQUESTS} subrequests`);
    const results: { statusCode: number; result: unknown }[] = [];
    let halted = false;
    for (const s of subs as { method?: string; url?: string; richInput?: unknown }[]) {
      if (halted) {
        results.push({ statusCode: 412, result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }] });
        continue;
      }
      if (!s.method || !s.url) {
        results.push({ statusCode: 400, result: [{ errorCode: 'JSON_PARSER_ERROR', message: 'each subrequest needs method and url' }] });
      } else {
        // Batch subrequest urls are relative to /services/data (`v62.0/sobjects/Account/001…`).
        const url = s.url.startsWith('/services/data/') ? s.url : `/services/data/${s.url.replace(/^\//, '')}`;
        const r = await dispatch(req, s.method, url, s.richInput);
        results.push({ statusCode: r.status, result: r.body });
      }
      if (results.at(-1)!.statusCode >= 400 && b.haltOnError === true) halted = true;
    }
    return { hasErrors: results.some((r) => r.statusCode >= 400), results };
  });
}
