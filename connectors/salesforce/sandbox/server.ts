/**
 * The Salesforce sandbox's HTTP face: the OAuth token endpoint and the REST API subset the connector and an
 * admin's tools use, with Salesforce's response and error shapes, the Sforce-Limit-Info header, a daily API
 * budget, and fault injection for reliability tests.
 */
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { compileSoql, SoqlError } from './soql.js';
import { Org, SalesforceApiError, SCHEMA, randomToken, type Row } from './org.js';
import type { Faults } from '../../shared/faults.js';

export interface SandboxCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface ServerOptions {
  org: Org;
  credentials: SandboxCredentials;
  certificatePem: string;
  tokenLifetimeSeconds: number;
  dailyApiLimit: number;
  faults: Faults;
  baseUrl: () => string;
}

interface Session {
  expires: number;
}

const API_PAGE = 2000;
const ORG_ID = '00D5g000004SandBX';

function b64url(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Verify a JWT bearer assertion (RS256) the way Salesforce does: signature, iss, sub, aud, exp. */
export function verifyAssertion(assertion: string, key: KeyObject, expect: { clientId: string; username: string; audiences: string[] }): string | null {
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'malformed assertion';
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; sub?: string; aud?: string | string[]; exp?: number };
  try {
    header = JSON.parse(b64url(h).toString('utf8'));
    claims = JSON.parse(b64url(p).toString('utf8'));
  } catch {
    return 'malformed assertion';
  }
  if (header.alg !== 'RS256') return 'invalid assertion algorithm';
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, b64url(sig))) return 'invalid assertion signature';
  if (claims.iss !== expect.clientId) return 'invalid client identifier';
  if (claims.sub !== expect.username) return 'user hasn\'t approved this consumer';
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => a && expect.audiences.includes(a.replace(/\/$/, '')))) return 'audience is invalid';
  if (!claims.exp || claims.exp * 1000 < Date.now()) return 'expired authorization code';
  return null;
}

function sfError(reply: FastifyReply, status: number, errorCode: string, message: string, fields: string[] = []) {
  return reply.code(status).send([{ message, errorCode, fields }]);
}

export function buildServer(o: ServerOptions): { app: FastifyInstance; sessions: Map<string, Session>; stats: { calls: number; byEndpoint: Record<string, number>; used: number; recordsServed: number } } {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  const sessions = new Map<string, Session>();
  const refreshTokens = new Set<string>();
  const cursors = new Map<string, { object: string; fields: string[]; ids: string[]; includeDeleted: boolean }>();
  const stats = { calls: 0, byEndpoint: {} as Record<string, number>, used: 0, recordsServed: 0 };
  const publicKey = createPublicKey(o.certificatePem);
  const org = o.org;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.addHook('onRequest', async (req, reply) => {
    const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    stats.calls++;
    stats.byEndpoint[route] = (stats.byEndpoint[route] ?? 0) + 1;
    await o.faults.apply(req, reply);
  });

  const issue = (refresh: boolean) => {
    const token = `${ORG_ID}!${randomToken()}`;
    sessions.set(token, { expires: Date.now() + o.tokenLifetimeSeconds * 1000 });
    const out: Record<string, string> = {
      access_token: token,
      instance_url: o.baseUrl(),
      id: `${o.baseUrl()}/id/${ORG_ID}/0055g00000SandBXAAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: randomToken(),
      scope: 'api refresh_token',
    };
    if (refresh) {
      const rt = randomToken();
      refreshTokens.add(rt);
      out.refresh_token = rt;
    }
    return out;
  };

  app.post('/services/oauth2/token', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const c = o.credentials;
    const fail = (description: string, error = 'invalid_grant') => reply.code(400).send({ error, error_description: description });
    switch (b.grant_type) {
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        if (!b.assertion) return fail('assertion is required', 'invalid_request');
        const why = verifyAssertion(b.assertion, publicKey, {
          clientId: c.clientId,
          username: c.username,
          audiences: ['https://login.salesforce.com', 'https://test.salesforce.com', o.baseUrl()],
        });
        return why ? fail(why) : issue(false);
      }
      case 'client_credentials':
        if (b.client_id !== c.clientId || b.client_secret !== c.clientSecret) return fail('invalid client credentials', 'invalid_client');
        return issue(false);
      case 'password':
        if (b.client_id !== c.clientId || b.client_secret !== c.clientSecret) return fail('invalid client credentials', 'invalid_client');
        if (b.username !== c.username || b.password !== c.password) return fail('authentication failure');
        return issue(true);
      case 'refresh_token':
        if (b.client_id !== c.clientId) return fail('invalid client credentials', 'invalid_client');
        if (!b.refresh_token || !refreshTokens.has(b.refresh_token)) return fail('expired access/refresh token');
        return issue(false);
      default:
        return fail(`unsupported grant type ${b.grant_type ?? '(none)'}`, 'unsupported_grant_type');
    }
  });

  app.get('/services/data', async () => ['58.0', '59.0', '60.0', '61.0', '62.0', '63.0'].map((v) => ({ label: `v${v}`, url: `/services/data/v${v}`, version: v })));

  const authed = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? '';
    const token = /^(Bearer|OAuth)\s+(.+)$/i.exec(h)?.[2];
    const s = token ? sessions.get(token) : undefined;
    if (!s || s.expires < Date.now()) {
      return sfError(reply, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    stats.used++;
    reply.header('Sforce-Limit-Info', `api-usage=${Math.min(stats.used, o.dailyApiLimit)}/${o.dailyApiLimit}`);
    if (stats.used > o.dailyApiLimit) {
      return sfError(reply, 403, 'REQUEST_LIMIT_EXCEEDED', `TotalRequests Limit exceeded.`);
    }
  };

  const v = '/services/data/:version';
  const handle = (fn: (req: FastifyRequest, reply: FastifyReply) => unknown) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(req, reply);
    } catch (err) {
      if (err instanceof SalesforceApiError) return sfError(reply, err.status, err.errorCode, err.message, err.fields);
      if (err instanceof SoqlError) return sfError(reply, 400, 'MALFORMED_QUERY', err.message);
      throw err;
    }
  };

  app.get(v, { preHandler: authed }, async (req) => {
    const base = `/services/data/${(req.params as { version: string }).version}`;
    return { sobjects: `${base}/sobjects`, query: `${base}/query`, queryAll: `${base}/queryAll`, limits: `${base}/limits`, composite: `${base}/composite` };
  });

  app.get(`${v}/limits`, { preHandler: authed }, async () => ({
    DailyApiRequests: { Max: o.dailyApiLimit, Remaining: Math.max(0, o.dailyApiLimit - stats.used) },
  }));

  const render = (object: string, row: Row, fields: string[], version: string): Row => {
    const out: Row = { attributes: { type: object, url: `/services/data/${version}/sobjects/${object}/${String(row.Id)}` } };
    for (const f of fields) {
      const parts = f.split('.');
      if (parts.length === 1) {
        out[org.fieldName(object, f)] = row[org.fieldName(object, f)] ?? null;
        continue;
      }
      // Parent relationship: nested object with its own attributes, or null when the lookup is empty.
      const name = org.fieldName(object, f);
      const [rel, ...rest] = name.split('.');
      const value = org.resolve(object, row, f);
      const relDef = org.relation(object, rel!)!;
      if (row[relDef.name] == null) {
        out[rel!] = null;
        continue;
      }
      let node = (out[rel!] ??= { attributes: { type: relDef.referenceTo, url: `/services/data/${version}/sobjects/${relDef.referenceTo}/${String(row[relDef.name])}` } }) as Row;
      for (const p of rest.slice(0, -1)) node = (node[p] ??= {}) as Row;
      node[rest.at(-1)!] = value ?? null;
    }
    return out;
  };

  const runQuery = (req: FastifyRequest, includeDeleted: boolean) => {
    const { version } = req.params as { version: string };
    const q = (req.query as { q?: string }).q;
    if (!q) throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    const compiled = compileSoql(q, () => undefined);
    const object = compiled.sObject;
    if (!['Opportunity', 'Account', 'User', 'OpportunityStage', 'Task'].includes(object)) {
      throw new SalesforceApiError(400, 'INVALID_TYPE', `sObject type '${object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`);
    }
    if (object === 'OpportunityStage') {
      const rows = org.stages.map((s) => ({ ...s, Id: `01J5g${String(s.SortOrder).padStart(10, '0')}AAA` })) as Row[];
      const c = compileSoql(q, (r, p) => r[p]);
      const hits = rows.filter(c.where);
      if (c.compare) hits.sort(c.compare);
      const fields = c.fields;
      return { totalSize: hits.length, done: true, records: hits.map((r) => ({ attributes: { type: 'OpportunityStage' }, ...Object.fromEntries(fields.map((f) => [f, r[f] ?? null])) })) };
    }
    for (const f of compiled.fields) org.fieldName(object, f); // unknown fields fail like Salesforce
    const resolve = (r: Row, p: string) => org.resolve(object, r, p);
    const c = compileSoql(q, resolve);
    const candidates = c.modstampFloor !== null ? org.changedSince(object, c.modstampFloor) : org.all(object, true);
    let hits = candidates.filter((r) => (includeDeleted || !r.IsDeleted) && c.where(r));
    if (c.compare) hits.sort(c.compare);
    if (c.offset) hits = hits.slice(c.offset);
    if (c.limit !== null) hits = hits.slice(0, c.limit);
    if (c.count && c.fields.length === 0) return { totalSize: hits.length, done: true, records: [] };
    const ids = hits.map((r) => String(r.Id));
    return page(object, c.fields, ids, 0, includeDeleted, version);
  };

  const page = (object: string, fields: string[], ids: string[], from: number, includeDeleted: boolean, version: string) => {
    const slice = ids.slice(from, from + API_PAGE);
    const records = slice.flatMap((id) => {
      const row = org.table(object).get(id);
      return row ? [render(object, row, fields, version)] : [];
    });
    stats.recordsServed += records.length;
    const done = from + API_PAGE >= ids.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const cursorId = `01g5g${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      cursors.set(cursorId, { object, fields, ids, includeDeleted });
      nextRecordsUrl = `/services/data/${version}/${includeDeleted ? 'queryAll' : 'query'}/${cursorId}-${from + API_PAGE}`;
    }
    return { totalSize: ids.length, done, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records };
  };

  const more = (req: FastifyRequest) => {
    const { version, locator } = req.params as { version: string; locator: string };
    const m = /^(.+)-(\d+)$/.exec(locator);
    const cur = m ? cursors.get(m[1]!) : undefined;
    if (!m || !cur) throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(cur.object, cur.fields, cur.ids, Number(m[2]), cur.includeDeleted, version);
  };

  app.get(`${v}/query`, { preHandler: authed }, handle((req) => runQuery(req, false)));
  app.get(`${v}/queryAll`, { preHandler: authed }, handle((req) => runQuery(req, true)));
  app.get(`${v}/query/:locator`, { preHandler: authed }, handle(more));
  app.get(`${v}/queryAll/:locator`, { preHandler: authed }, handle(more));

  const describe = (object: string) => {
    const s = org.schema(object);
    return {
      name: object,
      label: object,
      custom: false,
      keyPrefix: s.prefix,
      createable: true,
      updateable: true,
      queryable: true,
      fields: s.fields.map((f) => ({
        name: f.name,
        label: f.label ?? f.name,
        type: f.type,
        custom: f.custom === true,
        updateable: f.updateable !== false,
        createable: f.updateable !== false,
        nillable: !s.required.includes(f.name),
        length: f.length ?? 0,
        referenceTo: f.referenceTo ? [f.referenceTo] : [],
        relationshipName: f.relationshipName ?? null,
        picklistValues:
          f.name === 'StageName'
            ? org.stages.map((st) => ({ value: st.ApiName, label: st.MasterLabel, active: st.IsActive, defaultValue: false }))
            : (f.picklistValues ?? []).map((p) => ({ value: p, label: p, active: true, defaultValue: false })),
      })),
    };
  };

  app.get(`${v}/sobjects`, { preHandler: authed }, async () => ({
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: Object.entries(SCHEMA).map(([name, s]) => ({ name, label: name, keyPrefix: s.prefix, custom: false, queryable: true, createable: true, updateable: true })),
  }));
  app.get(`${v}/sobjects/:object/describe`, { preHandler: authed }, handle((req) => describe((req.params as { object: string }).object)));

  app.post(`${v}/sobjects/:object`, { preHandler: authed }, handle((req, reply) => {
    const id = org.insert((req.params as { object: string }).object, (req.body ?? {}) as Row);
    return reply.code(201).send({ id, success: true, errors: [] });
  }));
  app.get(`${v}/sobjects/:object/:id`, { preHandler: authed }, handle((req) => {
    const { object, id, version } = req.params as { object: string; id: string; version: string };
    const row = org.get(object, id);
    const fields = (req.query as { fields?: string }).fields?.split(',') ?? org.schema(object).fields.map((f) => f.name);
    return render(object, row, fields, version);
  }));
  app.patch(`${v}/sobjects/:object/:id`, { preHandler: authed }, handle((req, reply) => {
    const { object, id } = req.params as { object: string; id: string };
    org.update(object, id, (req.body ?? {}) as Row);
    return reply.code(204).send();
  }));
  app.delete(`${v}/sobjects/:object/:id`, { preHandler: authed }, handle((req, reply) => {
    const { object, id } = req.params as { object: string; id: string };
    org.remove(object, id);
    return reply.code(204).send();
  }));

  /** sObject Collections: per-record results; with allOrNone a failure rolls the whole call back. */
  const collection = (mode: 'create' | 'update') =>
    handle((req, reply) => {
      const body = (req.body ?? {}) as { allOrNone?: boolean; records?: Row[] };
      const records = body.records ?? [];
      if (records.length > 200) return sfError(reply, 400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
      const results = records.map((r) => {
        const object = String((r.attributes as { type?: string } | undefined)?.type ?? '');
        try {
          if (!object) throw new SalesforceApiError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
          if (mode === 'create') return { id: org.insert(object, r), success: true, errors: [] };
          // Field names are case-insensitive in Salesforce; jsforce sends the record id as `id`.
          const id = r.Id ?? r.id;
          if (typeof id !== 'string') throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call');
          org.update(object, id, r);
          return { id, success: true, errors: [] };
        } catch (err) {
          if (!(err instanceof SalesforceApiError)) throw err;
          const id = r.Id ?? r.id;
          return { ...(typeof id === 'string' ? { id } : {}), success: false, errors: [{ statusCode: err.errorCode, message: err.message, fields: err.fields }] };
        }
      });
      if (body.allOrNone && results.some((r) => !r.success)) {
        // The sandbox validates before writing only per record; undo is out of scope, so refuse up front instead.
        return results.map((r) => (r.success ? { id: r.id, success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }] } : r));
      }
      return results;
    });
  app.post(`${v}/composite/sobjects`, { preHandler: authed }, collection('create'));
  app.patch(`${v}/composite/sobjects`, { preHandler: authed }, collection('update'));
  app.delete(`${v}/composite/sobjects`, { preHandler: authed }, handle((req) => {
    const ids = String((req.query as { ids?: string }).ids ?? '').split(',').filter(Boolean);
    return ids.map((id) => {
      try {
        org.remove('Opportunity', id);
        return { id, success: true, errors: [] };
      } catch (err) {
        const e = err as SalesforceApiError;
        return { id, success: false, errors: [{ statusCode: e.errorCode, message: e.message, fields: [] }] };
      }
    });
  }));

  app.setNotFoundHandler((req, reply) => sfError(reply, 404, 'NOT_FOUND', `The requested resource does not exist: ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return sfError(reply, status, status === 500 ? 'UNKNOWN_EXCEPTION' : 'JSON_PARSER_ERROR', err.message);
  });
  return { app, sessions, stats };
}
