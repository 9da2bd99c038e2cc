/**
 * One record as an admin needs to see it: the CRM side, the referral side, the link (the agreed base and the
 * last referral snapshot), the plan the next sync would make for it (a dry run: nothing written) and what the
 * sync log says happened to it.
 */
import type { CrmConnector } from '../../connectors/index.js';
import type { CompiledMapping } from '../mapping/index.js';
import { NotFoundError } from '../runtime/index.js';
import type { SyncState } from '../state/index.js';
import { syncRecord, type ReferralsPort } from '../sync/index.js';

export async function inspectRecord(o: { state: SyncState; connection: string; crm: CrmConnector; referrals: ReferralsPort; mapping: CompiledMapping }, crmId: string) {
  const link = (await o.state.getLinks(o.connection, [crmId])).get(crmId) ?? null;
  const fields = [...new Set([...o.mapping.fieldsToRead, o.mapping.referralIdField, ...(o.mapping.statusField ? [o.mapping.statusField.field] : [])])];
  const [crm] = await o.crm.read([crmId], fields);
  if (!crm && !link) throw new NotFoundError(`no record ${crmId} in ${o.connection}`);
  const referral = link ? await o.referrals.read(link.referralId) : null;
  const next = await syncRecord({ mapping: o.mapping, referrals: o.referrals, dryRun: true }, { link, crmRecord: crm ?? null, referral });
  return {
    crm: crm ?? null,
    referral: referral?.referral ?? null,
    link,
    nextPlan: {
      actions: next.planned.map((a) => a.type),
      blocked: next.blocked.map((b) => ({ reason: b.reason, fields: b.keys })),
      conflicts: next.conflicts.map((c) => ({ field: c.key, crm: c.crm, referral: c.referral })),
      problems: next.problems.map((p) => ({ path: p.path, message: p.message })),
    },
    history: (await o.state.syncLog({ connection: o.connection, search: crmId, limit: 50 })).items,
  };
}
