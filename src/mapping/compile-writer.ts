/**
 * Compiling the writer of a mapping: deal fields to CRM fields (updates and inbound creates), the referral's
 * facts written back, and what the CRM reads after a write.
 */
import type { DealFieldKey, DealFields, DealStage, ReferralFacts } from '../domain/index.js';
import { crmValue, type CompiledSource, type Flat } from './compile-source.js';
import type { CompiledStages } from './compile-stages.js';
import type { Mapping } from './schema.js';

export function compileWriter(m: Mapping, flat: Flat, stages: CompiledStages, now: () => Date) {
  const byKey = new Map<string, CompiledSource>(flat);
  const help = m.dealType.helpType;
  const vis = m.dealType.visibility;
  const solutionInverse = new Map(Object.entries(m.solutions.map).map(([k, v]) => [v, k]));
  const helpInverse = help?.map ? new Map(Object.entries(help.map).map(([k, v]) => [v, k])) : null;

  const fromDeal = (deal: DealFields, keys: DealFieldKey[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const put = (key: string, value: unknown) => {
      const src = byKey.get(key);
      if (src?.writable) out[src.writable] = src.toCrm(value);
    };
    for (const key of keys) {
      switch (key) {
        case 'customer':
          for (const [k, v] of Object.entries(deal.customer)) put(`customer.${k}`, v);
          break;
        case 'contact':
          for (const [k, v] of Object.entries(deal.contact ?? {})) put(`contact.${k}`, v);
          break;
        case 'team':
          for (const [k, v] of Object.entries(deal.team[0] ?? {})) put(`team.${k}`, v);
          break;
        case 'solutions':
          put('solutions', deal.solutions.map((s) => solutionInverse.get(s) ?? s).join(';'));
          break;
        case 'stage':
          Object.assign(out, stages.crmStageFor(deal.stage).fields);
          break;
        case 'helpType':
          if (help && !help.field.includes('.')) out[help.field] = crmValue(helpInverse?.get(deal.helpType) ?? deal.helpType);
          break;
        case 'visibleToMicrosoft':
          if (vis && !vis.field.includes('.')) out[vis.field] = deal.visibleToMicrosoft;
          break;
        default:
          put(key, deal[key]);
      }
    }
    return out;
  };

  /** Deal fields every part of which the mapping can write to a plain CRM field (no relationship path, no template). */
  const writableParts = (prefix: string) => {
    const parts = flat.filter(([k]) => k.startsWith(prefix));
    return parts.length > 0 && parts.every(([, src]) => src.writable !== null);
  };
  const writable = new Set<DealFieldKey>(
    (['name', 'value', 'currency', 'closeDate', 'notes', 'campaignId', 'statusReason', 'solutions'] as const).filter((k) => byKey.get(k)?.writable),
  );
  if (writableParts('customer.')) writable.add('customer');
  if (writableParts('contact.')) writable.add('contact');
  if (writableParts('team.')) writable.add('team');
  if (help && !help.field.includes('.')) writable.add('helpType');
  if (vis && !vis.field.includes('.')) writable.add('visibleToMicrosoft');
  const readBack = (key: DealFieldKey, value: unknown): unknown => {
    if (key === 'stage') return stages.stageReadBack(value as DealStage);
    return writable.has(key) ? value : undefined;
  };

  const fieldFor = (dealPath: string): string | null => {
    if (dealPath === 'stage') return m.stages.field;
    if (dealPath === 'helpType') return help?.field ?? null;
    if (dealPath === 'visibleToMicrosoft') return vis?.field ?? null;
    const one = byKey.get(dealPath);
    if (one) return one.label;
    const parts = flat.filter(([k]) => k.startsWith(`${dealPath}.`)).map(([, src]) => src.label);
    return parts.length ? parts.join(', ') : null;
  };

  const wb = m.writeBack;
  const writeBackFields = (facts: ReferralFacts): Record<string, unknown> => {
    const out: Record<string, unknown> = { [wb.referralId]: facts.referralId };
    if (wb.link) out[wb.link] = facts.link;
    if (wb.status) out[wb.status] = facts.status;
    if (wb.substatus) out[wb.substatus] = facts.substatus;
    if (wb.salesStage) out[wb.salesStage] = facts.salesStage;
    if (wb.engagementId) out[wb.engagementId] = facts.engagementId;
    if (wb.microsoftCrmId) out[wb.microsoftCrmId] = facts.microsoftMsxId;
    return out;
  };

  const allKeys: DealFieldKey[] = ['name', 'value', 'currency', 'closeDate', 'notes', 'campaignId', 'helpType', 'visibleToMicrosoft', 'solutions', 'statusReason', 'stage'];
  const inboundCreate = (deal: DealFields, facts: ReferralFacts): Record<string, unknown> => {
    const closeDate = deal.closeDate ?? new Date(now().getTime() + m.inbound.closeDateDays * 86_400_000).toISOString().slice(0, 10);
    const fields = fromDeal({ ...deal, closeDate, name: deal.name ?? `Microsoft referral ${facts.referralId}` }, allKeys);
    return { ...fields, ...m.inbound.fields };
  };

  const inboundRelated = (deal: DealFields): Record<string, Record<string, unknown>> => {
    const out: Record<string, Record<string, unknown>> = {};
    const put = (key: string, value: unknown) => {
      const src = byKey.get(key);
      const path = src && !src.writable && src.reads.length === 1 && src.label === src.reads[0] ? src.reads[0].split('.') : [];
      if (path.length !== 2 || value === null || value === undefined) return;
      (out[path[0]!] ??= {})[path[1]!] = src!.toCrm(value);
    };
    for (const [k, v] of Object.entries(deal.customer)) put(`customer.${k}`, v);
    for (const [k, v] of Object.entries(deal.contact ?? {})) put(`contact.${k}`, v);
    put('currency', deal.currency);
    return out;
  };
  return { fromDeal, readBack, fieldFor, writeBackFields, inboundCreate, inboundRelated };
}
