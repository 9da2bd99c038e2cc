/**
 * The phase sources of a cycle, each an async generator of pages for the page pipeline: retries (the retry
 * queue, interrupted creates, then records with an open validation issue), referral changes, CRM changes.
 * A source reads only; it is asked for its next page after the last one has committed.
 */
import type { CrmRecord, Page as ConnectorPage } from '../../connectors/index.js';

type CrmPage = ConnectorPage<CrmRecord>;
import { decodeRecordKey } from '../state/index.js';
import { pendingReferralKey } from './pending.js';
import type { Page } from './pipeline.js';
import type { ConnectionPorts, ReferralWithEtag } from './ports.js';
import { readAhead } from './read-ahead.js';
import type { RecordWork } from './record.js';

export interface SourceEnv extends ConnectionPorts {
  readFields: string[];
  /** Pending creates at the start of the cycle. */
  pending: ReadonlySet<string>;
  pageSize: number;
  /** Ignore the cursors: read everything. */
  full: boolean;
  signal?: AbortSignal;
  stopped(): boolean;
}

async function readCrm(env: SourceEnv, ids: string[]): Promise<Map<string, CrmRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await env.crm.read(ids, env.readFields);
  return new Map(rows.map((r) => [r.id, r]));
}

const retryPage = (works: RecordWork[]): Page => ({ phase: 'retries', works, cursor: null, read: works.length, counts: {} });

/**
 * Retries first. A read-only run (a dry run) leaves the retry queue alone (taking it is a write) and plans
 * what the pulls bring; only a run that writes re-checks the records with an open issue.
 */
export async function* retries(env: SourceEnv, readOnly: boolean): AsyncGenerator<Page> {
  const keys = readOnly ? [] : await env.state.takeRetries(env.connection);
  const crmIds = new Set<string>();
  const referralIds = new Set<string>();
  for (const k of [...keys, ...env.pending]) {
    const key = decodeRecordKey(k);
    if (key) (key.side === 'crm' ? crmIds : referralIds).add(key.id);
  }
  if (crmIds.size + referralIds.size > 0) yield retryPage(await retryWorks(env, crmIds, referralIds));
  if (!readOnly && !env.stopped()) yield* openIssues(env, crmIds);
}

/** The queued records, each with its link, its CRM record and (when linked or inbound) its referral. Adds linked CRM ids to `crmIds`. */
async function retryWorks(env: SourceEnv, crmIds: Set<string>, referralIds: Set<string>): Promise<RecordWork[]> {
  const linksByCrm = await env.state.getLinks(env.connection, [...crmIds]);
  const linksByRef = await env.state.getLinksByReferral(env.connection, [...referralIds]);
  const refLinkByCrm = new Map([...linksByRef.values()].map((l) => [l.crmId, l]));
  for (const id of refLinkByCrm.keys()) crmIds.add(id);
  const records = await readCrm(env, [...crmIds]);
  const works: RecordWork[] = [];
  for (const id of crmIds) {
    const link = linksByCrm.get(id) ?? refLinkByCrm.get(id) ?? null;
    const record = records.get(id) ?? null;
    if (!link && (!record || record.deleted || !env.mapping.eligible(record))) continue;
    const referral = link ? await env.referrals.read(link.referralId) : null;
    works.push({ link, crmRecord: record, referral, createPending: env.pending.has(pendingReferralKey(id)) });
  }
  for (const id of referralIds) {
    if (linksByRef.has(id)) continue;
    const referral = await env.referrals.read(id);
    if (referral) works.push({ link: null, crmRecord: null, referral });
  }
  return works;
}

/**
 * Records with an open validation issue (their CRM data, not a refusal by the referrals API) are read again by
 * id, in pages: the fix may be on another record (the account's country, the owner's e-mail) whose change does
 * not move the opportunity's change stamp.
 * The referral side is not read here (its changes come through the pull); no open issue costs no call.
 */
async function* openIssues(env: SourceEnv, done: Set<string>): AsyncGenerator<Page> {
  const ids = (await env.state.issues(env.connection))
    .filter((i) => i.kind === 'validation')
    .map((i) => decodeRecordKey(i.recordKey))
    .flatMap((k) => (k?.side === 'crm' && !done.has(k.id) ? [k.id] : []));
  for (let i = 0; i < ids.length && !env.stopped(); i += env.pageSize) {
    const chunk = ids.slice(i, i + env.pageSize);
    const links = await env.state.getLinks(env.connection, chunk);
    const records = await readCrm(env, chunk);
    const works: RecordWork[] = [];
    for (const id of chunk) {
      const record = records.get(id);
      const link = links.get(id) ?? null;
      if (!record || (!link && (record.deleted || !env.mapping.eligible(record)))) continue;
      works.push({ link, crmRecord: record, referral: null, createPending: env.pending.has(pendingReferralKey(id)) });
    }
    yield retryPage(works);
  }
}

/** Referral changes since the cursor: linked ones (minus our own echo, by ETag) and new inbound referrals. */
export async function* referralChanges(env: SourceEnv): AsyncGenerator<Page> {
  const cursor = env.full ? null : await env.state.getCursor(env.connection, 'referrals');
  for await (const page of readAhead(env.referrals.pull(cursor))) {
    const links = await env.state.getLinksByReferral(
      env.connection,
      page.referrals.map((r) => r.id),
    );
    let unchanged = 0;
    const changed: Omit<RecordWork, 'crmRecord'>[] = [];
    for (const r of page.referrals) {
      const link = links.get(r.id) ?? null;
      // Our own write coming back: same ETag as the one we stored.
      if (link?.referralEtag && r.eTag && link.referralEtag === r.eTag) unchanged++;
      else if (link || r.direction === 'Incoming') changed.push({ link, referral: { referral: r, etag: r.eTag ?? null } satisfies ReferralWithEtag });
    }
    const records = await readCrm(
      env,
      changed.flatMap((c) => (c.link ? [c.link.crmId] : [])),
    );
    const works = changed.map((c): RecordWork => ({ ...c, crmRecord: c.link ? (records.get(c.link.crmId) ?? null) : null }));
    const read = page.referrals.length;
    yield { phase: 'referrals', works, cursor: { direction: 'referrals', value: page.cursor }, read, counts: { pulledReferrals: read, unchanged } };
  }
}

/** The CRM's pages of changes since its cursor, as the connector reads them (nothing of the state but the cursor). */
export async function* crmPages(env: SourceEnv): AsyncGenerator<CrmPage> {
  const cursor = env.full ? null : await env.state.getCursor(env.connection, 'crm');
  yield* env.crm.pull(cursor, {
    fields: env.readFields,
    eligibility: env.mapping.eligibility,
    full: env.full,
    pageSize: env.pageSize,
    ...(env.signal ? { signal: env.signal } : {}),
  });
}

/**
 * CRM changes since the cursor: linked records whose version moved, and eligible unlinked ones. Links are read
 * when a page is taken, so a page read early still meets the links as the phases before it left them.
 */
export async function* crmChanges(env: SourceEnv, pages: AsyncIterable<CrmPage>): AsyncGenerator<Page> {
  for await (const page of readAhead(pages)) {
    if (page.fullResync) env.log.info('crm full resync', { connection: env.connection, reason: 'the change cursor expired; reconciling against existing links' });
    const links = await env.state.getLinks(
      env.connection,
      page.records.map((r) => r.id),
    );
    let unchanged = 0;
    const works: RecordWork[] = [];
    for (const record of page.records) {
      const link = links.get(record.id) ?? null;
      if (link?.crmVersion && link.crmVersion === record.version) unchanged++;
      else if (link || (!record.deleted && env.mapping.eligible(record))) {
        const reconciling = (env.full || page.fullResync === true) && !link;
        works.push({ link, crmRecord: record, referral: null, createPending: env.pending.has(pendingReferralKey(record.id)) || reconciling });
      }
    }
    const read = page.records.length;
    yield { phase: 'crm', works, cursor: { direction: 'crm', value: page.cursor }, read, counts: { pulledCrm: read, unchanged } };
  }
}
