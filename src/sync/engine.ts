/**
 * One sync cycle of one connection: retries and interrupted creates first, then referral changes, then CRM
 * changes, page by page. Each page: plan every record, make the referral calls through the rate lane, batch the
 * CRM writes, and commit links, snapshots, issues and the cursor in one transaction.
 */
import type { CrmConnector, CrmCreate, CrmRecord, CrmUpdate } from '../../connectors/index.js';
import { sameValue, type Referral } from '../domain/index.js';
import { AuthError, BudgetExhaustedError, describeError, type Logger } from '../runtime/index.js';
import { decodeRecordKey, emptyCounts, recordKey, type Checkpoint, type Direction, type Link, type RunCounts, type SyncState } from '../state/index.js';
import type { Action } from './plan.js';
import type { MappingPort, ReferralsPort, ReferralWithEtag } from './ports.js';
import { readAhead } from './read-ahead.js';
import { syncRecord, type RecordOutcome, type RecordWork } from './record.js';
import { renderStatusLine, sameStatus } from './status-line.js';

export interface CycleDeps {
  connection: string;
  crm: CrmConnector;
  referrals: ReferralsPort;
  mapping: MappingPort;
  state: SyncState;
  log: Logger;
  correlationId: string;
  pageSize?: number;
  now?: () => Date;
  /** Aborting finishes the current page, checkpoints it, and stops. */
  signal?: AbortSignal;
  /** Ignore the cursors: read everything and reconcile against existing links and referrals. */
  full?: boolean;
  /** Plan only: read both sides, write nothing, return the planned actions. */
  dryRun?: boolean;
  onProgress?: (e: { phase: 'retries' | 'referrals' | 'crm'; records: number }) => void;
}

export interface PlannedRecord {
  crmId: string | null;
  referralId: string | null;
  actions: Action['type'][];
  blocked: string[];
  conflicts: string[];
  problems: string[];
}

export interface CycleResult {
  /** What this run did; `counts.issues` counts the issues seen in this run. */
  counts: RunCounts;
  /** Records with an open issue after this run (what `issues list` and `status` show). */
  openIssues: number;
  planned: PlannedRecord[];
  interrupted: boolean;
}

const pendingReferralKey = (crmId: string) => `create-referral:${crmId}`;
const pendingCrmKey = (referralId: string) => `create-crm:${referralId}`;

/** Failures that make the rest of the cycle pointless: stop and report, don't mark every record. */
function isFatal(err: unknown): boolean {
  return err instanceof AuthError || err instanceof BudgetExhaustedError;
}

export async function runCycle(deps: CycleDeps): Promise<CycleResult> {
  const { connection, crm, referrals, mapping, state, log } = deps;
  const now = deps.now ?? (() => new Date());
  const counts = emptyCounts();
  const planned: PlannedRecord[] = [];
  const statusField = mapping.statusField;
  const readFields = [...new Set([...mapping.fieldsToRead, mapping.referralIdField, ...(statusField ? [statusField.field] : [])])];
  const ctx = { mapping, referrals, dryRun: deps.dryRun === true };

  await state.ensureConnection(connection, crm.kind);
  const runId = deps.dryRun ? 0 : await state.startRun(connection, deps.correlationId);
  const pending = new Set((await state.pendingCreates(connection)).map((p) => p.key));
  const stopped = () => deps.signal?.aborted === true;
  const conflictsSeen = new Set<string>();
  // A record can come up in several phases of a cycle; its issue is counted once.
  const issuesSeen = new Set<string>();
  const issueSeen = (key: string) => {
    if (!issuesSeen.has(key)) counts.issues++;
    issuesSeen.add(key);
  };

  /** CRM fields to write for one outcome: deal fields, changed write-back facts, and the status line if its meaning changed. */
  const crmFieldsFor = (o: RecordOutcome, current: Record<string, unknown>, at: Date): Record<string, unknown> => {
    const fields: Record<string, unknown> = {};
    if (o.crmWrite && o.link) Object.assign(fields, mapping.fromDeal(o.link.base, o.crmWrite.keys));
    if (o.crmWrite?.facts) {
      for (const [k, v] of Object.entries(mapping.writeBackFields(o.crmWrite.facts))) {
        if (!sameValue(current[k] ?? null, v ?? null)) fields[k] = v;
      }
    }
    if (statusField && o.status && !sameStatus(current[statusField.field] as string | undefined, o.status.ok, o.status.reason, statusField.maxLength)) {
      fields[statusField.field] = renderStatusLine(o.status.ok, o.status.reason, at, statusField.maxLength);
    }
    return fields;
  };

  const processPage = async (works: RecordWork[], cursor: { direction: Direction; value: string | null } | null) => {
    const at = now();
    // Before any create is sent, remember it might happen: a crash after the POST is then healed by a lookup.
    const creates = works.filter((w) => !w.link && w.crmRecord && !w.crmRecord.deleted).map((w) => pendingReferralKey(w.crmRecord!.id));
    const inbound = works.filter((w) => !w.link && !w.crmRecord && w.referral).map((w) => pendingCrmKey(w.referral!.referral.id));
    if (!deps.dryRun && creates.length + inbound.length > 0) {
      await state.checkpoint(connection, { pending: { add: [...creates, ...inbound].map((key) => ({ key, createdAt: at.toISOString() })) } });
    }

    const outcomes = await Promise.all(
      works.map(async (w): Promise<RecordOutcome | { error: unknown; work: RecordWork }> => {
        try {
          return await syncRecord(ctx, w);
        } catch (error) {
          if (isFatal(error)) throw error;
          return { error, work: w };
        }
      }),
    );

    const cp: Required<Pick<Checkpoint, 'links' | 'unlink' | 'issues' | 'clearIssues' | 'conflicts' | 'retry'>> & Checkpoint = {
      links: [],
      unlink: [],
      issues: [],
      clearIssues: [],
      conflicts: [],
      retry: [],
      pending: { remove: [...creates, ...inbound] },
      ...(cursor ? { cursor } : {}),
    };
    const updates: { update: CrmUpdate; outcome: RecordOutcome }[] = [];
    const newRecords: { create: CrmCreate; outcome: RecordOutcome }[] = [];

    for (const [i, o] of outcomes.entries()) {
      const work = works[i]!;
      if ('error' in o) {
        const key = work.crmRecord ? recordKey('crm', work.crmRecord.id) : recordKey('referral', String(work.referral?.referral.id ?? work.link?.referralId));
        log.warn('record failed', { connection, record: key, error: describeError(o.error) });
        cp.issues.push({ connection, recordKey: key, kind: 'error', message: describeError(o.error) });
        cp.retry.push(key);
        issueSeen(key);
        continue;
      }
      if (deps.dryRun) {
        planned.push({
          crmId: o.crmId,
          referralId: o.referralId,
          actions: o.planned.map((a) => a.type),
          blocked: o.blocked.map((b) => `${b.reason} (${b.keys.join(', ')})`),
          conflicts: o.conflicts.map((c) => c.key),
          problems: o.problems.map((p) => `${p.path}: ${p.message}`),
        });
        continue;
      }
      counts.created += o.counters.created;
      counts.updated += o.counters.updated;
      counts.blocked += o.counters.blocked;
      if (o.planned.length === 0 && !o.blocked.length && !o.conflicts.length && !o.problems.length) counts.unchanged++;
      const key = o.crmId ? recordKey('crm', o.crmId) : recordKey('referral', String(o.referralId));
      if (o.problems.length) {
        issueSeen(key);
        cp.issues.push({ connection, recordKey: key, kind: o.rejected ? 'rejected' : 'validation', message: o.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
      } else {
        cp.clearIssues.push(key);
      }
      for (const c of o.conflicts) {
        // A record can come up in both phases of a cycle; a conflict is counted once.
        if (!conflictsSeen.has(`${o.crmId}:${c.key}`)) counts.conflicts++;
        conflictsSeen.add(`${o.crmId}:${c.key}`);
        cp.conflicts.push({ connection, crmId: o.crmId!, referralId: o.referralId!, field: c.key, baseValue: c.base, crmValue: c.crm, referralValue: c.referral });
      }
      if (o.unlink && o.crmId) cp.unlink.push(o.crmId);
      if (o.crmCreate) {
        const facts = o.crmCreate.facts;
        const fields = { ...mapping.inboundCreate(o.crmCreate.deal, facts), ...mapping.writeBackFields(facts) };
        if (statusField) fields[statusField.field] = renderStatusLine(true, 'received from Partner Center', at, statusField.maxLength);
        const related = mapping.inboundRelated?.(o.crmCreate.deal);
        newRecords.push({ create: { ref: facts.referralId, fields, ...(related ? { related } : {}) }, outcome: o });
        continue;
      }
      if (o.link) cp.links.push({ ...o.link, connection, updatedAt: at.toISOString() });
      const current = work.crmRecord?.fields ?? o.link?.written ?? {};
      const crmId = o.crmId;
      if (!crmId || work.crmRecord?.deleted) continue;
      const fields = crmFieldsFor(o, current, at);
      if (Object.keys(fields).length > 0) {
        updates.push({ update: { id: crmId, fields, ...(o.crmWrite?.close ? { close: o.crmWrite.close } : {}) }, outcome: o });
      }
    }

    if (deps.dryRun) return;

    if (updates.length) {
      const results = await crm.writeBack(updates.map((u) => u.update));
      const linkOf = new Map(cp.links.map((l) => [l.crmId, l]));
      results.forEach((r, i) => {
        const { update, outcome } = updates[i]!;
        const link = linkOf.get(update.id);
        // The rep closed the row between our read and this write (the plan never closes a closed row): the
        // deal is over either way, so not a failure.
        if (!r.ok && r.code === 'RECORD_CLOSED') {
          log.info('crm record closed meanwhile; close skipped', { connection, crmId: update.id });
          return;
        }
        if (r.ok) {
          counts.writtenBack++;
          if (link) {
            // Remember what is now on the record; its new version marks our own echo on the next pull.
            link.written = { ...link.written, ...pickWriteBack(update.fields, mapping, outcome) };
            if (r.version) link.crmVersion = r.version;
            if (outcome.status) link.message = outcome.status.reason;
          }
        } else {
          issueSeen(recordKey('crm', update.id));
          const message = `CRM rejected the write-back: ${r.code ?? ''} ${r.message ?? ''}`.trim();
          log.warn('crm write failed', { connection, crmId: update.id, code: r.code, error: r.message });
          cp.issues.push({ connection, recordKey: recordKey('crm', update.id), kind: 'crm-write', message });
          cp.clearIssues = cp.clearIssues.filter((k) => k !== recordKey('crm', update.id));
          cp.retry.push(recordKey('crm', update.id));
          // Keep the old link (or, for a just-created referral, the link without claiming the write-back landed).
          if (link && outcome.counters.created === 0) cp.links = cp.links.filter((l) => l !== link);
          else if (link) link.written = {};
        }
      });
    }

    if (newRecords.length) {
      // Healing: an opportunity may already exist for a referral whose create was interrupted.
      const maybeExisting = newRecords.filter((n) => pending.has(pendingCrmKey(n.create.ref)) || deps.full);
      const existing = maybeExisting.length
        ? await crm.findBy(
            mapping.referralIdField,
            maybeExisting.map((n) => n.create.ref),
            readFields,
          )
        : [];
      const byRef = new Map(existing.map((r) => [String(r.fields[mapping.referralIdField]), r]));
      const toCreate = newRecords.filter((n) => !byRef.has(n.create.ref));
      const results = toCreate.length ? await crm.create(toCreate.map((n) => n.create)) : [];
      const linkNew = (n: (typeof newRecords)[number], crmId: string, version: string | null) => {
        cp.links.push({
          connection,
          crmId,
          referralId: n.create.ref,
          base: n.outcome.crmCreate!.deal,
          referralSnapshot: n.outcome.crmCreate!.deal,
          referralEtag: n.outcome.crmCreate!.facts.eTag,
          crmVersion: version,
          state: 'ok',
          message: 'received from Partner Center',
          written: pickWriteBack(n.create.fields, mapping, n.outcome),
          crmEcho: n.outcome.crmCreate!.echo,
          direction: 'Incoming',
          updatedAt: at.toISOString(),
        });
        cp.clearIssues.push(recordKey('referral', n.create.ref));
      };
      for (const n of newRecords) {
        const found = byRef.get(n.create.ref);
        if (found) linkNew(n, found.id, found.version);
      }
      results.forEach((r, i) => {
        const n = toCreate[i]!;
        if (r.ok && r.id) {
          counts.createdInCrm++;
          linkNew(n, r.id, r.version ?? null);
        } else {
          issueSeen(recordKey('referral', n.create.ref));
          cp.clearIssues = cp.clearIssues.filter((k) => k !== recordKey('referral', n.create.ref));
          log.warn('crm create failed', { connection, referralId: n.create.ref, code: r.code, error: r.message });
          cp.issues.push({
            connection,
            recordKey: recordKey('referral', n.create.ref),
            kind: 'crm-create',
            message: `CRM rejected the new opportunity: ${r.code ?? ''} ${r.message ?? ''}`.trim(),
          });
          cp.retry.push(recordKey('referral', n.create.ref));
        }
      });
    }

    await state.checkpoint(connection, cp);
  };

  const readCrm = async (ids: string[]): Promise<Map<string, CrmRecord>> => {
    if (ids.length === 0) return new Map();
    const rows = await crm.read(ids, readFields);
    return new Map(rows.map((r) => [r.id, r]));
  };

  const phaseRetries = async (): Promise<Set<string>> => {
    const keys = deps.dryRun ? [] : await state.takeRetries(connection);
    const crmIds = new Set<string>();
    const referralIds = new Set<string>();
    for (const k of [...keys, ...pending]) {
      const key = decodeRecordKey(k);
      if (key) (key.side === 'crm' ? crmIds : referralIds).add(key.id);
    }
    if (crmIds.size + referralIds.size === 0) return crmIds;
    const linksByCrm = await state.getLinks(connection, [...crmIds]);
    const linksByRef = await state.getLinksByReferral(connection, [...referralIds]);
    const refLinkByCrm = new Map([...linksByRef.values()].map((l) => [l.crmId, l]));
    for (const id of refLinkByCrm.keys()) crmIds.add(id);
    const records = await readCrm([...crmIds]);
    const works: RecordWork[] = [];
    for (const id of crmIds) {
      const link = linksByCrm.get(id) ?? refLinkByCrm.get(id) ?? null;
      const record = records.get(id) ?? null;
      if (!link && (!record || record.deleted || !mapping.eligible(record))) continue;
      const referral = link ? await referrals.read(link.referralId) : null;
      works.push({ link, crmRecord: record, referral, createPending: pending.has(pendingReferralKey(id)) });
    }
    for (const id of referralIds) {
      if (linksByRef.has(id)) continue;
      const referral = await referrals.read(id);
      if (referral) works.push({ link: null, crmRecord: null, referral });
    }
    deps.onProgress?.({ phase: 'retries', records: works.length });
    await processPage(works, null);
    return crmIds;
  };

  /**
   * Records with an open validation issue (their CRM data, not a refusal by the referrals API) are read again by
   * id, in pages: the fix may be on another record (the account's country, the owner's e-mail) whose change does
   * not move the opportunity's change stamp.
   * The referral side is not read here (its changes come through the pull); no open issue costs no call.
   */
  const phaseOpenIssues = async (done: Set<string>) => {
    if (deps.dryRun) return;
    const ids = (await state.issues(connection))
      .filter((i) => i.kind === 'validation')
      .map((i) => decodeRecordKey(i.recordKey))
      .flatMap((k) => (k?.side === 'crm' && !done.has(k.id) ? [k.id] : []));
    const size = deps.pageSize ?? 200;
    for (let i = 0; i < ids.length && !stopped(); i += size) {
      const chunk = ids.slice(i, i + size);
      const links = await state.getLinks(connection, chunk);
      const records = await readCrm(chunk);
      const works: RecordWork[] = [];
      for (const id of chunk) {
        const record = records.get(id);
        const link = links.get(id) ?? null;
        if (!record || (!link && (record.deleted || !mapping.eligible(record)))) continue;
        works.push({ link, crmRecord: record, referral: null, createPending: pending.has(pendingReferralKey(id)) });
      }
      deps.onProgress?.({ phase: 'retries', records: works.length });
      await processPage(works, null);
    }
  };

  const phaseReferrals = async () => {
    const cursor = deps.full ? null : await state.getCursor(connection, 'referrals');
    for await (const page of readAhead(referrals.pull(cursor))) {
      counts.pulledReferrals += page.referrals.length;
      const links = await state.getLinksByReferral(
        connection,
        page.referrals.map((r) => r.id),
      );
      const changed: { referral: Referral; link: Link | null }[] = [];
      for (const r of page.referrals) {
        const link = links.get(r.id) ?? null;
        if (link) {
          // Our own write coming back: same ETag as the one we stored.
          if (link.referralEtag && r.eTag && link.referralEtag === r.eTag) {
            counts.unchanged++;
            continue;
          }
          changed.push({ referral: r, link });
        } else if (r.direction === 'Incoming') {
          changed.push({ referral: r, link: null });
        }
      }
      const records = await readCrm(changed.filter((c) => c.link).map((c) => c.link!.crmId));
      const works: RecordWork[] = changed.map(({ referral, link }) => ({
        link,
        crmRecord: link ? (records.get(link.crmId) ?? null) : null,
        referral: { referral, etag: referral.eTag ?? null } satisfies ReferralWithEtag,
      }));
      deps.onProgress?.({ phase: 'referrals', records: page.referrals.length });
      await processPage(works, { direction: 'referrals', value: page.cursor });
      if (stopped()) return;
    }
  };

  const phaseCrm = async () => {
    const cursor = deps.full ? null : await state.getCursor(connection, 'crm');
    const pages = crm.pull(cursor, {
      fields: readFields,
      eligibility: mapping.eligibility,
      full: deps.full === true,
      pageSize: deps.pageSize ?? 200,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    for await (const page of readAhead(pages)) {
      counts.pulledCrm += page.records.length;
      if (page.fullResync) log.info('crm full resync', { connection, reason: 'the change cursor expired; reconciling against existing links' });
      const links = await state.getLinks(
        connection,
        page.records.map((r) => r.id),
      );
      const works: RecordWork[] = [];
      for (const record of page.records) {
        const link = links.get(record.id) ?? null;
        if (link?.crmVersion && link.crmVersion === record.version) {
          counts.unchanged++;
          continue;
        }
        if (!link && (record.deleted || !mapping.eligible(record))) continue;
        works.push({
          link,
          crmRecord: record,
          referral: null,
          createPending: pending.has(pendingReferralKey(record.id)) || ((deps.full === true || page.fullResync === true) && !link),
        });
      }
      deps.onProgress?.({ phase: 'crm', records: page.records.length });
      await processPage(works, { direction: 'crm', value: page.cursor });
      if (stopped()) return;
    }
  };

  const callsAtStart = { crm: crm.calls(), referrals: referrals.calls() };
  const tally = () => {
    counts.crmCalls = crm.calls() - callsAtStart.crm;
    counts.referralCalls = referrals.calls() - callsAtStart.referrals;
    const usage = crm.usage();
    counts.crmBudget = usage ? `${usage.used}/${usage.max}` : null;
  };
  try {
    const retried = await phaseRetries();
    if (!stopped()) await phaseOpenIssues(retried);
    if (!stopped()) await phaseReferrals();
    if (!stopped()) await phaseCrm();
    tally();
    if (!deps.dryRun) await state.finishRun(runId, stopped() ? 'interrupted' : 'ok', counts);
    const openIssues = (await state.issuesPage({ connection, offset: 0, limit: 0 })).total; // a count, not every row
    // The one-line summary is the caller's to print; the log keeps the run's figures at debug.
    log.debug('sync run finished', { connection, interrupted: stopped(), openIssues, ...counts });
    return { counts, openIssues, planned, interrupted: stopped() };
  } catch (err) {
    tally();
    if (!deps.dryRun) await state.finishRun(runId, 'failed', counts, describeError(err));
    throw err;
  }
}

/** The write-back part of what was written (deal fields are tracked by the base, not here). */
function pickWriteBack(fields: Record<string, unknown>, mapping: MappingPort, o: RecordOutcome): Record<string, unknown> {
  const facts = o.crmWrite?.facts ?? o.crmCreate?.facts;
  if (!facts) return {};
  const keys = new Set(Object.keys(mapping.writeBackFields(facts)));
  if (mapping.statusField) keys.add(mapping.statusField.field);
  return Object.fromEntries(Object.entries(fields).filter(([k]) => keys.has(k)));
}
