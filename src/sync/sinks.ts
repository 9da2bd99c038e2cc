/**
 * Where a page ends. The commit sink runs fold → CRM writes → inbound creates → commit (records, links and the
 * cursor together, so a killed process resumes at the last page with nothing lost or doubled); the dry-run
 * sink records what each record would do and writes nothing.
 */
import { createInbound, writeBack } from './crm-writes.js';
import { foldOutcomes } from './fold.js';
import type { PageEnv, PageSink, PlannedRecord } from './pipeline.js';
import type { RecordOutcome } from './record.js';

/** Writes the CRM and commits each page. */
export function commitSink(env: PageEnv): PageSink {
  return {
    callsReferrals: true,
    planned: [],
    async announce(pending, at) {
      if (pending.length) await env.state.checkpoint(env.connection, { pending: { add: pending.map((key) => ({ key, createdAt: at.toISOString() })) } });
    },
    async deliver(page, settled, pending, at) {
      const folded = foldOutcomes({ connection: env.connection, at, mapping: env.mapping, cursor: page.cursor, pending, settled });
      env.tally.add(folded.counts);
      for (const key of folded.issues) env.tally.issue(key);
      for (const key of folded.conflicts) env.tally.conflict(key);
      await writeBack(env, folded);
      await createInbound(env, folded, at);
      await env.state.checkpoint(env.connection, folded.checkpoint);
    },
  };
}

/** Plans only: records what each record would do; no call that writes, no commit. */
export function dryRunSink(env: Pick<PageEnv, 'tally'>): PageSink {
  const planned: PlannedRecord[] = [];
  return {
    callsReferrals: false,
    planned,
    async announce() {},
    async deliver(_page, settled) {
      for (const s of settled) {
        if ('outcome' in s) planned.push(plannedOf(s.outcome));
        else env.tally.issue(s.failure.key);
      }
    },
  };
}

function plannedOf(o: RecordOutcome): PlannedRecord {
  return {
    crmId: o.crmId,
    referralId: o.referralId,
    actions: o.planned.map((a) => a.type),
    blocked: o.blocked.map((b) => `${b.reason} (${b.keys.join(', ')})`),
    conflicts: o.conflicts.map((c) => c.key),
    problems: o.problems.map((p) => `${p.path}: ${p.message}`),
  };
}
