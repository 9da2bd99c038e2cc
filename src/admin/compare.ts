/**
 * One deal as the admin sees it: the CRM record, the referral and the last agreed value, and every deal field
 * side by side (the CRM side through the mapping, the referral side as the sync reads it).
 */
import type { CrmConnector, CrmRecord } from '../../connectors/index.js';
import { DEAL_FIELD_KEYS, referralToDealFields, type DealFields, type Referral } from '../domain/index.js';
import { compileMapping, type Mapping } from '../mapping/index.js';
import { NotFoundError } from '../runtime/index.js';
import type { Link, SyncLogEntry, SyncState } from '../state/index.js';
import type { ReferralsPort } from '../sync/index.js';

export interface RecordSource {
  name: string;
  crm: CrmConnector;
  referrals: Pick<ReferralsPort, 'read'>;
  mapping(): Mapping;
}

export interface RecordSides {
  crm: CrmRecord | null;
  referral: Referral | null;
  link: Link | null;
  history: SyncLogEntry[];
}

export async function readRecord(state: SyncState, c: RecordSource, crmId: string): Promise<RecordSides> {
  const link = (await state.getLinks(c.name, [crmId])).get(crmId) ?? null;
  const [crm] = await c.crm.read([crmId], compileMapping(c.mapping()).fieldsToRead);
  const referral = link ? await c.referrals.read(link.referralId) : null;
  const history = (await state.syncLog({ connection: c.name, search: crmId, limit: 50 })).items;
  if (!crm && !link) throw new NotFoundError(`no record ${crmId} in ${c.name}`);
  return { crm: crm ?? null, referral: referral?.referral ?? null, link, history };
}

export interface FieldComparison {
  key: string;
  crm: unknown;
  referral: unknown;
  agreed: unknown;
  /** The two sides hold different values now. */
  differs: boolean;
}

/** Every deal field: the CRM's value (through the mapping), the referral's and the last agreed one. */
export function compareSides(mapping: Mapping, sides: RecordSides): { fields: FieldComparison[]; problems: string[] } {
  const mapped = sides.crm ? compileMapping(mapping).toDeal(sides.crm) : null;
  const ref: DealFields | null = sides.referral ? referralToDealFields(sides.referral) : null;
  const base = sides.link?.base ?? null;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const fields = DEAL_FIELD_KEYS.map((key) => {
    const crm = mapped ? mapped.deal[key] : null;
    const referral = ref ? ref[key] : null;
    return { key, crm, referral, agreed: base ? base[key] : null, differs: Boolean(mapped && ref) && !same(crm, referral) };
  });
  return { fields, problems: (mapped?.problems ?? []).map((p) => `${p.path}: ${p.message}`) };
}
