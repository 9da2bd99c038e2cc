/**
 * The Salesforce connector (jsforce 3.10.16): OAuth (JWT bearer by default), an incremental pull on
 * SystemModstamp with a lookback window and an (SystemModstamp, Id) boundary, deletes through queryAll,
 * writes through sObject Collections (200 per call, per-record outcomes), and the daily API budget watched
 * through Sforce-Limit-Info. Every call goes through one rate lane.
 */
import { createHash, createSign } from 'node:crypto';
import jsforce from 'jsforce';
import {
  AuthError,
  BudgetExhaustedError,
  createLane,
  RateLimitedError,
  RemoteError,
  TransportError,
  silentLogger,
  registerSecret,
  type Logger,
  type RateConfig,
} from '../../src/runtime/index.js';
import type { ApiUsage, CrmConnector, CrmCreate, CrmRecord, CrmUpdate, FieldInfo, Page, PullOptions, StageInfo, WriteResult } from '../index.js';
import { linkRelated } from '../shared/index.js';
import { decodeSfCursor, encodeSfCursor, soqlDateTime, soqlString, parseSfDateTime } from './soql-text.js';

type Connection = InstanceType<typeof jsforce.Connection>;

export type SalesforceAuth =
  | { method: 'jwt'; clientId: string; username: string; privateKeyPem: string }
  | { method: 'client-credentials'; clientId: string; clientSecret: string }
  | { method: 'refresh-token'; clientId: string; clientSecret?: string | undefined; refreshToken: string }
  | { method: 'password'; clientId: string; clientSecret: string; username: string; password: string };

export interface SalesforceConnectorOptions {
  instanceUrl: string;
  loginUrl?: string;
  apiVersion: string;
  auth: SalesforceAuth;
  rate: RateConfig;
  budget: { warnAt: number; pauseAt: number };
  log?: Logger;
  /** Re-read changes this far behind the cursor: transactions can commit with an earlier SystemModstamp. */
  lookbackSeconds?: number;
  object?: string;
}

const COLLECTION = 200;
const IN_CHUNK = 200;

/** Related records a new opportunity is linked to: the lookup field, and the field an existing one is matched by. */
const RELATED: Record<string, { object: string; lookup: string; key: string }> = {
  Account: { object: 'Account', lookup: 'AccountId', key: 'Name' },
};

/** Split into sObject Collections (≤ 200 records), send them concurrently, results in input order. */
async function inCollections<T>(items: T[], send: (chunk: T[]) => Promise<WriteResult[]>): Promise<WriteResult[]> {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += COLLECTION) chunks.push(items.slice(i, i + COLLECTION));
  return (await Promise.all(chunks.map(send))).flat();
}

interface SfError {
  errorCode?: string;
  name?: string;
  message?: string;
  code?: string;
  type?: string;
}

function accountOf(auth: SalesforceAuth): string {
  return auth.method === 'jwt' || auth.method === 'password' ? `${auth.username} (client ${auth.clientId})` : `client ${auth.clientId}`;
}

export function jwtAssertion(auth: { clientId: string; username: string; privateKeyPem: string }, audience: string, now = Date.now()): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'RS256' })}.${b64({ iss: auth.clientId, sub: auth.username, aud: audience, exp: Math.floor(now / 1000) + 180 })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(auth.privateKeyPem, 'base64url')}`;
}

/** jsforce errors → the project's typed errors (so the lane knows what may be retried). */
function classify(err: unknown, label: string): Error {
  const e = err as SfError;
  const code = e.errorCode ?? e.name ?? '';
  const status = /^ERROR_HTTP_(\d{3})$/.exec(code)?.[1];
  if (code === 'REQUEST_LIMIT_EXCEEDED' && !/concurrent/i.test(e.message ?? '')) {
    return new BudgetExhaustedError(`Salesforce: the org's daily API request limit is spent (${label}); syncing resumes when the rolling 24-hour budget frees up`);
  }
  if (status === '429' || code === 'REQUEST_LIMIT_EXCEEDED') return new RateLimitedError(`Salesforce ${label}: too many requests`, undefined, 429);
  if (status === '503' || status === '502' || status === '504') return new RateLimitedError(`Salesforce ${label}: service unavailable`, undefined, 503);
  if (status && Number(status) >= 500) return new RemoteError(`Salesforce ${label}: HTTP ${status}`, Number(status));
  const net = e.code ?? '';
  if (
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(net) ||
    e.type === 'system' ||
    /socket hang up|network|premature close/i.test(e.message ?? '')
  ) {
    return new TransportError(`Salesforce ${label}: ${net || e.message}`, net === 'ETIMEDOUT' ? 'timeout' : net === 'ECONNREFUSED' ? 'refused' : 'reset');
  }
  if (/Unexpected token|JSON/i.test(e.message ?? '') || /^ERROR_HTTP_/.test(code))
    return new RemoteError(`Salesforce ${label}: unexpected response (${code || e.message})`, status ? Number(status) : undefined, code);
  return err instanceof Error ? err : new Error(String(err));
}

// jsforce tries its own refresh first and, without a refresh token (JWT bearer), reports that instead.
const isSessionError = (err: unknown) =>
  (err as SfError).errorCode === 'INVALID_SESSION_ID' || (err as SfError).name === 'INVALID_SESSION_ID' || /Unable to refresh session/.test((err as SfError).message ?? '');

/**
 * SystemModstamp has second precision, so two writes in one second share it. The version adds a hash of the
 * record's content, so a second write in the same second is still seen as a change.
 */
function versionOf(fields: Record<string, unknown>): string {
  const { SystemModstamp, LastModifiedDate: _l, ...content } = fields;
  return `${String(SystemModstamp ?? '')}#${createHash('sha1').update(JSON.stringify(content)).digest('base64url').slice(0, 16)}`;
}

export function createSalesforceConnector(opts: SalesforceConnectorOptions): CrmConnector {
  const log = opts.log ?? silentLogger;
  const object = opts.object ?? 'Opportunity';
  const loginUrl = opts.loginUrl ?? opts.instanceUrl;
  const lookbackMs = (opts.lookbackSeconds ?? 10) * 1000;
  const account = accountOf(opts.auth);
  const lane = createLane({ name: `salesforce ${new URL(opts.instanceUrl).host}`, ...opts.rate, log });
  let conn: Connection | null = null;
  let calls = 0;
  let usage: ApiUsage | undefined;
  let warned = false;
  for (const s of Object.values(opts.auth)) if (typeof s === 'string' && s.length > 20) registerSecret(s);
  if (opts.auth.method === 'password') log.warn('Salesforce username-password login is deprecated (blocked on new orgs); use JWT bearer', { account });

  const newConnection = (session: { instanceUrl?: string; accessToken?: string } = {}) =>
    new jsforce.Connection({
      loginUrl,
      instanceUrl: session.instanceUrl ?? opts.instanceUrl,
      ...(session.accessToken ? { accessToken: session.accessToken } : {}),
      version: opts.apiVersion,
      oauth2: {
        clientId: opts.auth.clientId,
        ...('clientSecret' in opts.auth && opts.auth.clientSecret ? { clientSecret: opts.auth.clientSecret } : {}),
        loginUrl,
        redirectUri: `${loginUrl}/services/oauth2/success`,
      },
    });

  const login = async (): Promise<Connection> => {
    let c = newConnection();
    const a = opts.auth;
    try {
      switch (a.method) {
        case 'jwt': {
          const audience = /\.sandbox\.|test\.salesforce\.com/.test(loginUrl)
            ? 'https://test.salesforce.com'
            : /login\.salesforce\.com/.test(loginUrl)
              ? 'https://login.salesforce.com'
              : loginUrl;
          await c.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(a, audience) } as never);
          break;
        }
        case 'client-credentials':
          await c.authorize({ grant_type: 'client_credentials' } as never);
          break;
        case 'refresh-token': {
          const res = await c.oauth2.refreshToken(a.refreshToken);
          c = newConnection({ instanceUrl: res.instance_url ?? opts.instanceUrl, accessToken: res.access_token });
          break;
        }
        case 'password':
          await c.login(a.username, a.password);
          break;
      }
    } catch (err) {
      const e = err as SfError & { error_description?: string };
      throw new AuthError(
        `Salesforce login for ${account} failed (${e.name ?? e.errorCode ?? 'error'}: ${e.message ?? ''}); check the connected app, the user's permission and the credentials`,
        account,
      );
    }
    if (c.accessToken) registerSecret(c.accessToken);
    return c;
  };

  const trackUsage = (c: Connection) => {
    const u = c.limitInfo?.apiUsage;
    if (!u) return;
    usage = { used: u.used, max: u.limit };
    const share = u.limit ? u.used / u.limit : 0;
    if (share >= opts.budget.warnAt && !warned) {
      warned = true;
      log.warn('salesforce API budget running low', { used: u.used, max: u.limit });
    }
  };

  /** One API call: logged in, re-authorized exactly once on an expired session, classified errors, budget watched. */
  const call = <T>(label: string, idempotent: boolean, fn: (c: Connection) => Promise<T>): Promise<T> =>
    lane.run(
      async () => {
        if (usage && usage.max && usage.used / usage.max >= opts.budget.pauseAt) {
          throw new BudgetExhaustedError(
            `Salesforce API budget at ${usage.used}/${usage.max} (pause threshold ${Math.round(opts.budget.pauseAt * 100)} %): calls paused to leave room for the org's other integrations`,
          );
        }
        conn ??= await login();
        try {
          calls++;
          const out = await fn(conn);
          trackUsage(conn);
          return out;
        } catch (err) {
          if (!isSessionError(err)) throw classify(err, label);
          conn = await login();
          try {
            calls++;
            const out = await fn(conn);
            trackUsage(conn);
            return out;
          } catch (again) {
            if (isSessionError(again)) throw new AuthError(`Salesforce rejected a fresh session for ${account} (${label}); check the integration user's access`, account);
            throw classify(again, label);
          }
        }
      },
      { idempotent, label },
    );

  /** A truncated or non-JSON body reaches us as text from jsforce: refuse it by its shape, naming the call. */
  const shaped = <T>(label: string, value: unknown, ok: (v: Record<string, unknown>) => boolean): T => {
    if (value === null || typeof value !== 'object' || !ok(value as Record<string, unknown>)) {
      throw new RemoteError(`Salesforce ${label}: unexpected response (${typeof value === 'string' ? `text: ${value.slice(0, 60)}` : 'wrong shape'})`);
    }
    return value as T;
  };
  const describeOpportunity = async () =>
    shaped<{ fields: { name: string; label: string; type: string; custom: boolean; updateable: boolean; picklistValues?: { value: string; label: string; active: boolean }[] }[] }>(
      'describe opportunity',
      await call('describe opportunity', true, (c) => c.sobject(object).describe() as Promise<unknown>),
      (v) => Array.isArray(v.fields),
    );

  const toRecord = (raw: Record<string, unknown>): CrmRecord => {
    const { attributes: _a, ...fields } = raw;
    const stamp = String(fields.SystemModstamp ?? '');
    return { id: String(fields.Id), version: versionOf(fields), modifiedAt: new Date(parseSfDateTime(stamp)).toISOString(), deleted: fields.IsDeleted === true, fields };
  };

  const selectList = (fields: string[]) => [...new Set(['Id', 'SystemModstamp', 'IsDeleted', ...fields])].join(', ');

  const queryAllPages = async function* (soql: string, label: string, scanAll: boolean): AsyncGenerator<Record<string, unknown>[]> {
    type QueryPage = { records: Record<string, unknown>[]; done: boolean; nextRecordsUrl?: string };
    const isPage = (v: Record<string, unknown>) => Array.isArray(v.records);
    let res = shaped<QueryPage>(label, await call(label, true, (c) => c.query(soql, { scanAll, autoFetch: false } as never) as unknown as Promise<unknown>), isPage);
    for (;;) {
      yield res.records;
      if (res.done || !res.nextRecordsUrl) return;
      const next = res.nextRecordsUrl;
      res = shaped<QueryPage>(label, await call(label, true, (c) => c.queryMore(next) as unknown as Promise<unknown>), isPage);
    }
  };

  const byIn = async (field: string, values: string[], fields: string[], label: string): Promise<CrmRecord[]> => {
    const out: CrmRecord[] = [];
    const unique = [...new Set(values)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const soql = `SELECT ${selectList(fields)} FROM ${object} WHERE ${field} IN (${chunk.map(soqlString).join(', ')})`;
      for await (const batch of queryAllPages(soql, label, false)) out.push(...batch.map(toRecord));
    }
    return out;
  };

  const results = (res: unknown, ids: (string | undefined)[], refs?: string[]): WriteResult[] =>
    (Array.isArray(res) ? res : [res]).map((r: { id?: string; success?: boolean; errors?: { statusCode?: string; message?: string }[] }, i) => {
      const e = r.errors?.[0];
      return {
        ...((r.id ?? ids[i]) ? { id: r.id ?? ids[i] } : {}),
        ...(refs ? { ref: refs[i] } : {}),
        ok: r.success === true,
        ...(e ? { code: e.statusCode ?? 'ERROR', message: e.message ?? '' } : {}),
      };
    });

  /** A new opportunity's related record (its account): the first one with the key, else a new one. */
  const linkOne = async (rel: string, key: string, values: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const spec = RELATED[rel]!;
    const label = `find ${spec.object}`;
    const found = shaped<{ records: { Id?: string }[] }>(
      label,
      await call(label, true, (c) => c.query(`SELECT Id FROM ${spec.object} WHERE ${spec.key} = ${soqlString(key)} LIMIT 1`) as unknown as Promise<unknown>),
      (v) => Array.isArray(v.records),
    );
    let id = found.records[0]?.Id ?? null;
    if (!id) {
      const made = results(await call(`create ${spec.object}`, false, (c) => c.sobject(spec.object).create(values) as Promise<unknown>), [undefined])[0];
      // Without the account the opportunity's own create reports what is missing.
      id = made?.ok && made.id ? made.id : null;
    }
    return id ? { [spec.lookup]: id } : {};
  };

  return {
    kind: 'salesforce',
    async *pull(cursor: string | null, o: PullOptions): AsyncIterable<Page<CrmRecord>> {
      const start = o.full ? null : decodeSfCursor(cursor);
      // A transaction can commit with a SystemModstamp a little in the past: the cursor never moves past
      // "now minus the lookback", so such late writes are read on the next pull (the engine skips what it saw).
      const cap = Math.floor((Date.now() - lookbackMs) / 1000) * 1000;
      const where: string[] = [];
      if (start) where.push(`SystemModstamp >= ${soqlDateTime(start.ts)}`);
      const elig = o.eligibility;
      const either = [...(elig?.flagField ? [`${elig.flagField} = true`] : []), ...(elig?.linkedField ? [`${elig.linkedField} != null`] : [])];
      if (either.length) where.push(`(${either.join(' OR ')})`);
      const soql = `SELECT ${selectList(o.fields)} FROM ${object}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY SystemModstamp, Id`;
      let ts = start?.ts ?? 0;
      let idsAtTs = new Set(start?.ids ?? []);
      const idsAtCap = new Set(start?.ts === cap ? start.ids : []);
      const size = o.pageSize ?? COLLECTION;
      let buffer: CrmRecord[] = [];
      // Past the cap, the checkpoint stays at the cap (or an older cursor beyond it) with the ids seen there.
      const held = Math.max(cap, start?.ts ?? 0);
      const cursorNow = () => (ts > cap ? { ts: held, ids: [...(held === cap ? idsAtCap : idsAtTs)] } : { ts, ids: [...idsAtTs] });
      let last = start ? encodeSfCursor(start) : null;
      const flush = (): Page<CrmRecord> => {
        last = encodeSfCursor(cursorNow());
        const page = { records: buffer, cursor: last };
        buffer = [];
        return page;
      };
      const boundary = new Set(start?.ids ?? []);
      let complete = true;
      for await (const batch of queryAllPages(soql, 'pull opportunities', true)) {
        for (const raw of batch) {
          const rec = toRecord(raw);
          const stamp = parseSfDateTime(String(rec.fields.SystemModstamp));
          const key = `${rec.id}#${rec.version}`;
          // The boundary the last checkpoint already covered: same second, same id, same content.
          if (start && stamp === start.ts && boundary.has(key)) continue;
          if (stamp > ts) {
            ts = stamp;
            idsAtTs = new Set();
          }
          idsAtTs.add(key);
          if (stamp === cap) idsAtCap.add(key);
          buffer.push(rec);
          if (buffer.length >= size) yield flush();
        }
        if (o.signal?.aborted) {
          complete = false;
          break;
        }
      }
      // After a complete read every second before the cap is complete too (no commit can still land there), so
      // the cursor moves up to the cap: idle pulls then re-read only the lookback window, not the last busy second.
      if (complete && ts < cap) {
        ts = cap;
        idsAtTs = new Set();
      }
      if (buffer.length || encodeSfCursor(cursorNow()) !== last) yield flush();
    },
    read: (ids, fields) => byIn('Id', ids, fields, 'read opportunities'),
    findBy: (field, values, fields) => byIn(field, values, fields, `find opportunities by ${field}`),
    async findTaskKeys(keys) {
      const out: string[] = [];
      for (let i = 0; i < keys.length; i += IN_CHUNK) {
        const soql = `SELECT Id, Cosell_Event_Key__c FROM Task WHERE Cosell_Event_Key__c IN (${keys
          .slice(i, i + IN_CHUNK)
          .map(soqlString)
          .join(', ')})`;
        for await (const batch of queryAllPages(soql, 'find tasks', false)) out.push(...batch.map((r) => String(r.Cosell_Event_Key__c)));
      }
      return out;
    },
    async createTasks(tasks) {
      // Task.OwnerId = the opportunity's owner: the rep who owns the deal gets the to-do.
      const owners = new Map(
        (
          await byIn(
            'Id',
            tasks.map((t) => t.opportunityId),
            ['OwnerId'],
            'read opportunity owners',
          )
        ).map((r) => [r.id, r.fields.OwnerId]),
      );
      return inCollections(tasks, async (chunk) => {
        const rows = chunk.map((t) => ({
          Subject: t.subject,
          Description: t.description,
          WhatId: t.opportunityId,
          ...(owners.get(t.opportunityId) ? { OwnerId: owners.get(t.opportunityId) } : {}),
          Status: 'Not Started',
          Priority: 'Normal',
          Cosell_Event_Key__c: t.key,
        }));
        return results(
          await call('create tasks', false, (c) => c.sobject('Task').create(rows, { allOrNone: false }) as Promise<unknown>),
          chunk.map(() => undefined),
          chunk.map((t) => t.key),
        );
      });
    },
    async findFlagged(field, fields) {
      const out: CrmRecord[] = [];
      for await (const batch of queryAllPages(`SELECT ${selectList(fields)} FROM ${object} WHERE ${field} = true`, `find opportunities with ${field}`, false))
        out.push(...batch.map(toRecord));
      return out;
    },
    // Collections of 200 go out side by side; the lane bounds how many are in flight.
    writeBack: (updates: CrmUpdate[]) =>
      inCollections(updates, async (chunk) =>
        results(
          await call(
            'update opportunities',
            true,
            (c) =>
              c.sobject(object).update(
                chunk.map((u) => ({ Id: u.id, ...u.fields })),
                { allOrNone: false },
              ) as Promise<unknown>,
          ),
          chunk.map((u) => u.id),
        ),
      ),
    // Not retried blindly: the engine heals an interrupted create by looking the referral id up first.
    create: async (records: CrmCreate[]) =>
      inCollections(await linkRelated(records, (rel) => RELATED[rel]?.key, linkOne), async (chunk) =>
        results(
          await call(
            'create opportunities',
            false,
            (c) =>
              c.sobject(object).create(
                chunk.map((r) => r.fields),
                { allOrNone: false },
              ) as Promise<unknown>,
          ),
          chunk.map(() => undefined),
          chunk.map((r) => r.ref),
        ),
      ),
    async describeStages(): Promise<StageInfo[]> {
      const stages = shaped<{ records: Record<string, unknown>[] }>(
        'read stages',
        await call(
          'read stages',
          true,
          (c) =>
            c.query(
              'SELECT ApiName, MasterLabel, DefaultProbability, IsActive, IsClosed, IsWon, SortOrder FROM OpportunityStage ORDER BY SortOrder',
            ) as unknown as Promise<unknown>,
        ),
        (v) => Array.isArray(v.records),
      );
      const d = await describeOpportunity();
      const picklist = d.fields.find((f) => f.name === 'StageName')?.picklistValues ?? [];
      const byName = new Map(stages.records.map((s) => [String(s.ApiName), s]));
      return picklist.map((p) => {
        const s = byName.get(p.value);
        return {
          value: p.value,
          label: p.label,
          ...(s ? { probability: Number(s.DefaultProbability) } : {}),
          isClosed: s?.IsClosed === true,
          isWon: s?.IsWon === true,
          active: p.active,
          field: 'StageName',
        };
      });
    },
    async describeFields(): Promise<FieldInfo[]> {
      const d = await describeOpportunity();
      return d.fields.map((f) => ({
        name: f.name,
        label: f.label,
        type: f.type,
        custom: f.custom,
        updateable: f.updateable,
        ...(f.picklistValues?.length ? { picklistValues: f.picklistValues.map((p) => p.value) } : {}),
      }));
    },
    usage: () => usage,
    calls: () => calls,
    async close() {
      await lane.onIdle();
    },
  };
}
