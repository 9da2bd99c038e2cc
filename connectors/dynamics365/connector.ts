/**
 * The Dynamics 365 connector (Dataverse Web API v9.2, axios + msal-node): change tracking as the cursor with a
 * full, reconciled resync when a delta link expires; related rows (account, owner, currency) read in follow-up
 * queries because $expand is not allowed with change tracking; writes in `$batch` with continue-on-error and
 * If-Match; Won/Lost through the Win/LoseOpportunity actions. HTTP, tokens, the rate lane and error mapping are
 * the Web API client's (webapi-client.ts).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { jsonCursor, silentLogger, ValidationError, type Logger, type RateConfig } from '../../src/runtime/index.js';
import type { CrmConnector, CrmCreate, CrmRecord, CrmUpdate, FieldInfo, Page, PullOptions, StageInfo, WriteResult } from '../index.js';
import type { DynamicsAuth } from './auth.js';
import { linkRelated, textOf } from '../shared/index.js';
import { attributesSchema, type CollectionPage, entityIdOf, errorField, optionSetSchema } from './answers.js';
import { buildBatch, readBatch, type BatchAnswer, type BatchPart } from './batch-client.js';
import { createMissingColumns } from './setup.js';
import { openWebApi } from './webapi-client.js';

export interface DynamicsConnectorOptions {
  /** Organization URL, e.g. https://contoso.crm.dynamics.com */
  url: string;
  apiVersion: string;
  auth: DynamicsAuth;
  rate: RateConfig;
  log?: Logger;
}

/** Navigation properties the mapping may read through (`parentaccountid.address1_country`). */
const NAVS: Record<string, { lookup: string; set: string; key: string }> = {
  parentaccountid: { lookup: '_parentaccountid_value', set: 'accounts', key: 'accountid' },
  owninguser: { lookup: '_ownerid_value', set: 'systemusers', key: 'systemuserid' },
  ownerid: { lookup: '_ownerid_value', set: 'systemusers', key: 'systemuserid' },
  transactioncurrencyid: { lookup: '_transactioncurrencyid_value', set: 'transactioncurrencies', key: 'transactioncurrencyid' },
  parentcontactid: { lookup: '_parentcontactid_value', set: 'contacts', key: 'contactid' },
};
/** Related rows a new opportunity is bound to: matched by `key` (first match), created when none exists and `create`. */
const RELATED: Record<string, { set: string; idKey: string; key: string; create: boolean }> = {
  parentaccountid: { set: 'accounts', idKey: 'accountid', key: 'name', create: true },
  parentcontactid: { set: 'contacts', idKey: 'contactid', key: 'emailaddress1', create: true },
  transactioncurrencyid: { set: 'transactioncurrencies', idKey: 'transactioncurrencyid', key: 'isocurrencycode', create: false },
};
const KEY = 'opportunityid';
const IN_CHUNK = 100;
const BATCH_MAX = 1000;

/** An OData string literal (`O'Brien` → `'O''Brien'`). */
export function odataString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function inFilter(property: string, values: string[]): string {
  return `Microsoft.Dynamics.CRM.In(PropertyName=${odataString(property)},PropertyValues=[${values.map(odataString).join(',')}])`;
}

/** The pull cursor: the delta link change tracking gave for the next pull. */
const deltaCursor = jsonCursor(z.object({ delta: z.string() }));

export interface DynamicsConnector extends CrmConnector {
  /** Create the co-sell columns that are missing (or only list them with `dryRun`); returns their names. */
  createMissingColumns(dryRun: boolean): Promise<string[]>;
}

export function createDynamicsConnector(opts: DynamicsConnectorOptions): DynamicsConnector {
  const log = opts.log ?? silentLogger;
  const web = openWebApi(opts, log);
  const { api, request, getAs, getJson, pages } = web;

  const splitFields = (fields: string[]) => {
    const direct = new Set<string>([KEY, 'modifiedon']);
    const related = new Map<string, Set<string>>();
    for (const f of fields) {
      const [head, ...rest] = f.split('.');
      if (rest.length === 0) direct.add(head!);
      else {
        const nav = NAVS[head!];
        if (!nav) continue;
        direct.add(nav.lookup);
        const set = related.get(head!) ?? new Set<string>();
        set.add(rest.join('.'));
        related.set(head!, set);
      }
    }
    return { direct: [...direct], related };
  };

  /**
   * Fetch the related rows a page needs and nest them under their navigation property. Every set and chunk is
   * read at once (the lane paces them): a delta query cannot `$expand`, so these reads are round trips the page
   * would otherwise wait out one after another.
   */
  const attachRelated = async (rows: Record<string, unknown>[], related: Map<string, Set<string>>) => {
    const readNav = async ([navName, fields]: [string, Set<string>]) => {
      const nav = NAVS[navName]!;
      const ids = [...new Set(rows.map((r) => r[nav.lookup]).filter((v): v is string => typeof v === 'string'))];
      const chunks: string[][] = [];
      for (let i = 0; i < ids.length; i += IN_CHUNK) chunks.push(ids.slice(i, i + IN_CHUNK));
      const found = new Map<string, Record<string, unknown>>();
      const readChunk = async (chunk: string[]) => {
        const q = `${nav.set}?$select=${[nav.key, ...fields].join(',')}&$filter=${encodeURIComponent(inFilter(nav.key, chunk))}`;
        for await (const page of pages(`read ${nav.set}`, q)) for (const r of page.value) found.set(String(r[nav.key]).toLowerCase(), r);
      };
      await Promise.all(chunks.map(readChunk));
      return { navName, nav, found };
    };
    for (const { navName, nav, found } of await Promise.all([...related].map(readNav))) {
      for (const r of rows) {
        const id = r[nav.lookup];
        r[navName] = typeof id === 'string' ? (found.get(id.toLowerCase()) ?? null) : null;
      }
    }
  };

  const toRecord = (r: Record<string, unknown>): CrmRecord => ({
    id: textOf('Dynamics 365', r, KEY),
    version: String(r['@odata.etag'] ?? ''),
    modifiedAt: String(r.modifiedon ?? ''),
    deleted: false,
    fields: r,
  });

  const isExpiredDelta = (err: unknown) => err instanceof ValidationError && /expired|full sync|delta ?token|version stamp/i.test(err.message);

  const eligible = (r: Record<string, unknown>, e: PullOptions['eligibility']) => {
    if (!e || (!e.flagField && !e.linkedField)) return true;
    return (
      (e.flagField !== undefined && r[e.flagField] === true) ||
      (e.linkedField !== undefined && r[e.linkedField] !== null && r[e.linkedField] !== undefined && r[e.linkedField] !== '')
    );
  };

  const byFilter = async (filter: string, fields: string[], label: string): Promise<CrmRecord[]> => {
    const { direct, related } = splitFields(fields);
    const out: Record<string, unknown>[] = [];
    for await (const page of pages(label, `opportunities?$select=${direct.join(',')}&$filter=${encodeURIComponent(filter)}`, 'odata.maxpagesize=5000')) out.push(...page.value);
    await attachRelated(out, related);
    return out.map(toRecord);
  };

  const inChunks = async (property: string, values: string[], fields: string[], label: string) => {
    const out: CrmRecord[] = [];
    const unique = [...new Set(values)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) out.push(...(await byFilter(inFilter(property, unique.slice(i, i + IN_CHUNK)), fields, label)));
    return out;
  };

  /** Send parts in $batch requests of up to 1,000, continue-on-error; one result per part. */
  const batch = async (label: string, parts: BatchPart[], idempotent: boolean) => {
    const out: BatchAnswer[] = [];
    for (let i = 0; i < parts.length; i += BATCH_MAX) {
      const chunk = parts.slice(i, i + BATCH_MAX);
      const boundary = `batch_${randomUUID()}`;
      const headers = { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Prefer: 'odata.continue-on-error' };
      const body = buildBatch(boundary, `/api/data/v${opts.apiVersion}/`, chunk);
      const results = await request(label, 'POST', '$batch', { headers, body, idempotent }, (res) =>
        readBatch(label, { status: res.status, contentType: String(res.headers['content-type'] ?? ''), body: res.data }, chunk.length),
      );
      out.push(...results);
    }
    return out;
  };

  const errorOf = (r: { status: number; body: string }): { code: string; message: string } => {
    try {
      const e = errorField(JSON.parse(r.body));
      return {
        code: r.status === 412 ? 'preconditionFailed' : /already closed/i.test(e?.message ?? '') ? 'RECORD_CLOSED' : (e?.code ?? String(r.status)),
        message: e?.message ?? `HTTP ${r.status}`,
      };
    } catch {
      return { code: String(r.status), message: `HTTP ${r.status}` };
    }
  };

  const createRow = (set: string, body: Record<string, unknown>): Promise<string | null> =>
    request(
      `create ${set}`,
      'POST',
      set,
      { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), idempotent: false },
      (res) => entityIdOf(String(res.headers['odata-entityid'] ?? '')) ?? null,
    );

  /** A new opportunity's related row, bound by `nav@odata.bind`: the first one with the key, else a new one. */
  const bindOne = async (nav: string, key: string, values: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const spec = RELATED[nav]!;
    const found = await getJson(`find ${spec.set}`, `${spec.set}?$select=${spec.idKey}&$filter=${encodeURIComponent(`${spec.key} eq ${odataString(key)}`)}&$top=1`);
    const hit = found.value?.[0]?.[spec.idKey];
    const id = typeof hit === 'string' ? hit : spec.create ? await createRow(spec.set, values) : null;
    if (!id) log.warn('dynamics 365 related row not found; the opportunity is created without it', { nav, [spec.key]: key });
    return id ? { [`${nav}@odata.bind`]: `/${spec.set}(${id})` } : {};
  };

  return {
    kind: 'dynamics365',
    async *pull(cursor: string | null, o: PullOptions): AsyncIterable<Page<CrmRecord>> {
      const { direct, related } = splitFields(o.fields);
      const size = Math.min(5000, o.pageSize ?? 500);
      const prefer = `odata.track-changes,odata.maxpagesize=${size}`;
      const start = o.full ? null : deltaCursor.decode(cursor);
      let fullResync = false;
      let first: CollectionPage | undefined;
      if (start) {
        try {
          // The delta link belongs to this organization: keep its path and token, take the host from config.
          const link = new URL(start.delta, api);
          const here = new URL(api);
          link.protocol = here.protocol;
          link.host = here.host;
          first = await getJson('read changes', link.toString(), `odata.maxpagesize=${size}`);
        } catch (err) {
          if (!isExpiredDelta(err)) throw err;
          log.warn('dynamics 365 delta link expired: full resync (reconciled, no duplicates)', { error: (err as Error).message });
          fullResync = true;
        }
      }
      for await (const page of pages('read opportunities', `opportunities?$select=${direct.join(',')}`, prefer, first)) {
        const rows = page.value.filter((r) => !String(r['@odata.context'] ?? '').includes('$deletedEntity') && r.reason !== 'deleted');
        const deleted = page.value.filter((r) => String(r['@odata.context'] ?? '').includes('$deletedEntity') || r.reason === 'deleted');
        const wanted = rows.filter((r) => eligible(r, o.eligibility));
        await attachRelated(wanted, related);
        const records = [
          ...wanted.map(toRecord),
          ...deleted.map((d): CrmRecord => ({ id: String(d.id), version: `deleted:${String(d.id)}`, modifiedAt: '', deleted: true, fields: { [KEY]: d.id } })),
        ];
        const delta = page['@odata.deltaLink'];
        // Until the delta link arrives with the last page, the stored cursor stays (null = keep it).
        yield { records, cursor: delta ? deltaCursor.encode({ delta }) : null, ...(fullResync ? { fullResync: true } : {}) };
        if (o.signal?.aborted) return;
      }
    },
    read: (ids, fields) => inChunks(KEY, ids, fields, 'read opportunities'),
    findBy: (field, values, fields) => inChunks(field, values, fields, `find opportunities by ${field}`),
    async findTaskKeys(keys) {
      const out: string[] = [];
      for (let i = 0; i < keys.length; i += IN_CHUNK) {
        const page = await getJson('find tasks', `tasks?$select=cosell_eventkey&$filter=${encodeURIComponent(inFilter('cosell_eventkey', keys.slice(i, i + IN_CHUNK)))}`);
        out.push(...page.value.map((r) => String(r.cosell_eventkey)));
      }
      return out;
    },
    async createTasks(tasks) {
      // A task regarding the opportunity, owned by the opportunity's owner.
      const owners = new Map(
        (
          await inChunks(
            KEY,
            tasks.map((t) => t.opportunityId),
            ['_ownerid_value'],
            'read opportunity owners',
          )
        ).map((r) => [r.id, r.fields._ownerid_value]),
      );
      const parts = tasks.map((t) => {
        const owner = owners.get(t.opportunityId);
        return {
          method: 'POST' as const,
          path: 'tasks',
          body: {
            subject: t.subject,
            description: t.description,
            cosell_eventkey: t.key,
            'regardingobjectid_opportunity_task@odata.bind': `/opportunities(${t.opportunityId})`,
            ...(owner ? { 'ownerid@odata.bind': `/systemusers(${String(owner)})` } : {}),
          },
        };
      });
      const res = parts.length ? await batch('create tasks', parts, false) : [];
      return res.map((r, i) => (r.status < 300 ? { ref: tasks[i]!.key, ok: true } : { ref: tasks[i]!.key, ok: false, ...errorOf(r) }));
    },
    findFlagged: (field, fields) => byFilter(`${field} eq true`, fields, `find opportunities with ${field}`),
    async writeBack(updates: CrmUpdate[]): Promise<WriteResult[]> {
      // One PATCH per record (If-Match: its version, or * = update only, never an accidental create), then its close action.
      // A closed (won/lost) row takes column updates through the API too; only closing it needs the actions.
      const parts: { part: BatchPart; index: number }[] = [];
      updates.forEach((u, index) => {
        if (Object.keys(u.fields).length) {
          parts.push({ index, part: { method: 'PATCH', path: `opportunities(${u.id})`, headers: { 'If-Match': u.version ?? '*' }, body: u.fields } });
        }
        if (u.close) {
          parts.push({
            index,
            part: {
              method: 'POST',
              path: u.close.outcome === 'won' ? 'WinOpportunity' : 'LoseOpportunity',
              body: {
                Status: u.close.outcome === 'won' ? 3 : 4,
                OpportunityClose: {
                  subject: u.close.reason ?? (u.close.outcome === 'won' ? 'Won (co-sell sync)' : 'Lost (co-sell sync)'),
                  'opportunityid@odata.bind': `/opportunities(${u.id})`,
                },
              },
            },
          });
        }
      });
      const res = parts.length
        ? await batch(
            'update opportunities',
            parts.map((p) => p.part),
            true,
          )
        : [];
      const out: WriteResult[] = updates.map((u) => ({ id: u.id, ok: true }));
      res.forEach((r, i) => {
        const idx = parts[i]!.index;
        if (r.status >= 400 && out[idx]!.ok) out[idx] = { id: updates[idx]!.id, ok: false, ...errorOf(r) };
        else if (r.headers.etag && out[idx]!.ok) out[idx] = { id: updates[idx]!.id, ok: true, version: r.headers.etag };
      });
      return out;
    },
    async create(input: CrmCreate[]): Promise<WriteResult[]> {
      const records = await linkRelated(input, (nav) => RELATED[nav]?.key, bindOne);
      const res = records.length
        ? await batch(
            'create opportunities',
            records.map((r) => ({ method: 'POST', path: 'opportunities', body: r.fields })),
            false,
          )
        : [];
      return res.map((r, i) => {
        const id = entityIdOf(r.headers['odata-entityid']);
        return r.status < 300 && id ? { id, ref: records[i]!.ref, ok: true } : { ref: records[i]!.ref, ok: false, ...errorOf(r) };
      });
    },
    async describeStages(): Promise<StageInfo[]> {
      const meta = (attr: string, kind: string) =>
        getAs(
          `describe ${attr}`,
          `EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='${attr}')/Microsoft.Dynamics.CRM.${kind}?$select=LogicalName&$expand=OptionSet`,
          optionSetSchema,
        );
      const label = (o: { Label?: { UserLocalizedLabel?: { Label?: string | undefined } | null | undefined } | null | undefined }) => o.Label?.UserLocalizedLabel?.Label ?? '';
      const sales = (await meta('salesstage', 'PicklistAttributeMetadata')).OptionSet;
      const status = (await meta('statuscode', 'StatusAttributeMetadata')).OptionSet;
      const pct = [20, 40, 60, 80];
      const steps = new Set<string>();
      const page = await getJson('read step names', `opportunities?$select=stepname&$filter=stepname ne null`, 'odata.maxpagesize=5000');
      for (const r of page.value) steps.add(String(r.stepname));
      return [
        ...sales.Options.map((o, i) => ({ value: String(o.Value), label: label(o), probability: pct[i] ?? 0, isClosed: false, isWon: false, active: true, field: 'salesstage' })),
        ...status.Options.map((o) => ({ value: String(o.Value), label: label(o), isClosed: (o.State ?? 0) !== 0, isWon: o.State === 1, active: true, field: 'statuscode' })),
        ...[...steps].map((s) => ({ value: s, label: s, isClosed: false, isWon: false, active: true, field: 'stepname' })),
      ];
    },
    async describeFields(): Promise<FieldInfo[]> {
      const res = await getAs('describe opportunity', `EntityDefinitions(LogicalName='opportunity')/Attributes`, attributesSchema);
      return res.value.map((a) => ({
        name: a.LogicalName,
        label: a.DisplayName?.UserLocalizedLabel?.Label ?? a.LogicalName,
        type: a.AttributeType ?? 'String',
        custom: a.IsCustomAttribute === true,
        updateable: a.IsValidForUpdate !== false,
      }));
    },
    usage: () => undefined,
    calls: web.calls,
    createMissingColumns(dryRun) {
      return createMissingColumns(web, () => this.describeFields(), dryRun);
    },
    close: web.close,
  };
}
