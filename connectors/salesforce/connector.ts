/**
 * The Salesforce connector (jsforce 3.10.16): an incremental pull on SystemModstamp with a lookback window and
 * an (SystemModstamp, Id) boundary (modstamp-cursor.ts), deletes through queryAll, writes through sObject
 * Collections (200 per call, per-record outcomes). Login, re-auth, error mapping, the API budget and the rate
 * lane are the session's (session.ts).
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { RemoteError, silentLogger, type Logger, type RateConfig } from '../../src/runtime/index.js';
import type { CrmConnector, CrmCreate, CrmRecord, CrmUpdate, FieldInfo, Page, PullOptions, StageInfo, WriteResult } from '../index.js';
import { linkRelated, parseAnswer, textOf } from '../shared/index.js';
import { describeSchema, queryPageSchema, saveResultsSchema } from './answers.js';
import { advance, capOf, completed, resumeAfter } from './modstamp-cursor.js';
import { openSession, type Connection } from './session.js';
import { decodeSfCursor, encodeSfCursor, soqlString, parseSfDateTime } from './soql-text.js';

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
  const lookbackMs = (opts.lookbackSeconds ?? 10) * 1000;
  const session = openSession(opts, log);
  const call = session.call;

  /** One call whose answer is parsed at the boundary (a truncated or non-JSON body reaches us as text from jsforce). */
  const ask = async <S extends z.ZodType>(label: string, idempotent: boolean, schema: S, fn: (c: Connection) => Promise<unknown>): Promise<z.infer<S>> =>
    parseAnswer('Salesforce', label, schema, await call(label, idempotent, fn));
  const describeOpportunity = () => ask('describe opportunity', true, describeSchema, (c) => c.sobject(object).describe() as Promise<unknown>);

  const toRecord = (raw: Record<string, unknown>): CrmRecord => {
    const { attributes: _a, ...fields } = raw;
    const stamp = parseSfDateTime(textOf('Salesforce', fields, 'SystemModstamp'));
    if (Number.isNaN(stamp)) throw new RemoteError(`Salesforce: unexpected response (SystemModstamp ${JSON.stringify(fields.SystemModstamp)} is not a date-time)`);
    return {
      id: textOf('Salesforce', fields, 'Id'),
      version: versionOf(fields),
      modifiedAt: new Date(stamp).toISOString(),
      deleted: fields.IsDeleted === true,
      fields,
    };
  };

  const selectList = (fields: string[]) => [...new Set(['Id', 'SystemModstamp', 'IsDeleted', ...fields])].join(', ');

  const queryAllPages = async function* (soql: string, label: string, scanAll: boolean): AsyncGenerator<Record<string, unknown>[]> {
    let res = await ask(label, true, queryPageSchema, (c) => c.query(soql, { scanAll, autoFetch: false } as never) as unknown as Promise<unknown>);
    for (;;) {
      yield res.records;
      if (res.done || !res.nextRecordsUrl) return;
      const next = res.nextRecordsUrl;
      res = await ask(label, true, queryPageSchema, (c) => c.queryMore(next) as unknown as Promise<unknown>);
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

  /** One write call; its per-record answers in input order. */
  const write = async (label: string, idempotent: boolean, fn: (c: Connection) => Promise<unknown>, ids: (string | undefined)[], refs?: string[]): Promise<WriteResult[]> =>
    (await ask(label, idempotent, saveResultsSchema, fn)).map((r, i) => {
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
    const found = await ask(
      label,
      true,
      queryPageSchema,
      (c) => c.query(`SELECT Id FROM ${spec.object} WHERE ${spec.key} = ${soqlString(key)} LIMIT 1`) as unknown as Promise<unknown>,
    );
    let id = typeof found.records[0]?.Id === 'string' ? found.records[0].Id : null;
    if (!id) {
      const made = (await write(`create ${spec.object}`, false, (c) => c.sobject(spec.object).create(values) as Promise<unknown>, [undefined]))[0];
      // Without the account the opportunity's own create reports what is missing.
      id = made?.ok && made.id ? made.id : null;
    }
    return id ? { [spec.lookup]: id } : {};
  };

  return {
    kind: 'salesforce',
    async *pull(cursor: string | null, o: PullOptions): AsyncIterable<Page<CrmRecord>> {
      const start = o.full ? null : decodeSfCursor(cursor);
      const cap = capOf(Date.now(), lookbackMs);
      let pos = start;
      const where = start ? resumeAfter(start) : [];
      const elig = o.eligibility;
      const either = [...(elig?.flagField ? [`${elig.flagField} = true`] : []), ...(elig?.linkedField ? [`${elig.linkedField} != null`] : [])];
      if (either.length) where.push(`(${either.join(' OR ')})`);
      const soql = `SELECT ${selectList(o.fields)} FROM ${object}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY SystemModstamp, Id`;
      const size = o.pageSize ?? COLLECTION;
      let buffer: CrmRecord[] = [];
      const cursorNow = () => encodeSfCursor(pos ?? { ts: 0 });
      let last = start ? encodeSfCursor(start) : null;
      const flush = (): Page<CrmRecord> => {
        last = cursorNow();
        const page = { records: buffer, cursor: last };
        buffer = [];
        return page;
      };
      let complete = true;
      for await (const batch of queryAllPages(soql, 'pull opportunities', true)) {
        for (const raw of batch) {
          const rec = toRecord(raw);
          pos = advance(pos, rec.id, Date.parse(rec.modifiedAt), cap);
          buffer.push(rec);
          if (buffer.length >= size) yield flush();
        }
        if (o.signal?.aborted) {
          complete = false;
          break;
        }
      }
      if (complete) pos = completed(pos, cap);
      if (buffer.length || cursorNow() !== last) yield flush();
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
        return write(
          'create tasks',
          false,
          (c) => c.sobject('Task').create(rows, { allOrNone: false }) as Promise<unknown>,
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
        write(
          'update opportunities',
          true,
          (c) =>
            c.sobject(object).update(
              chunk.map((u) => ({ Id: u.id, ...u.fields })),
              { allOrNone: false },
            ) as Promise<unknown>,
          chunk.map((u) => u.id),
        ),
      ),
    // Not retried blindly: the engine heals an interrupted create by looking the referral id up first.
    create: async (records: CrmCreate[]) =>
      inCollections(await linkRelated(records, (rel) => RELATED[rel]?.key, linkOne), async (chunk) =>
        write(
          'create opportunities',
          false,
          (c) =>
            c.sobject(object).create(
              chunk.map((r) => r.fields),
              { allOrNone: false },
            ) as Promise<unknown>,
          chunk.map(() => undefined),
          chunk.map((r) => r.ref),
        ),
      ),
    async describeStages(): Promise<StageInfo[]> {
      const stages = await ask(
        'read stages',
        true,
        queryPageSchema,
        (c) =>
          c.query('SELECT ApiName, MasterLabel, DefaultProbability, IsActive, IsClosed, IsWon, SortOrder FROM OpportunityStage ORDER BY SortOrder') as unknown as Promise<unknown>,
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
    usage: session.usage,
    calls: session.calls,
    close: session.close,
  };
}
