/**
 * Translation between the referral resource and `DealFields`, and the JSON Patch that moves a referral from
 * one DealFields to another (only the changed paths; stage completions in order before a Won).
 */
import type { DealFields, DealStage, Person, ReferralFacts } from './deal-fields.js';
import { changedKeys } from './deal-fields.js';
import { HELP_TYPES, type Member, type PatchOp, type Referral, type ReferralCreate } from './referral.js';
import { SALES_STAGES, stagesToComplete, type SalesStage } from './stages.js';

function person(m: Member | null | undefined): Person | null {
  if (!m) return null;
  return { firstName: m.firstName ?? null, lastName: m.lastName ?? null, email: m.email ?? null, phone: m.phoneNumber ?? null };
}

function member(p: Person): Member {
  return { firstName: p.firstName, lastName: p.lastName, email: p.email, phoneNumber: p.phone };
}

/** The deal's progress as one value, from status, substatus and sales stage. */
export function dealStageOf(r: Pick<Referral, 'status' | 'substatus' | 'salesStage'>): DealStage {
  if (r.status === 'New') return 'on-hold';
  if (r.status === 'Closed') {
    switch (r.substatus) {
      case 'Won':
        return 'Won';
      case 'Lost':
        return 'Lost';
      case 'Declined':
        return 'declined';
      default:
        return 'expired';
    }
  }
  return r.salesStage ?? 'initial';
}

export function referralToDealFields(r: Referral): DealFields {
  const a = r.customerProfile?.address;
  return {
    name: r.name ?? null,
    customer: {
      name: r.customerProfile?.name ?? null,
      country: a?.country ?? null,
      city: a?.city ?? null,
      state: a?.state ?? null,
      postalCode: a?.postalCode ?? null,
      addressLine1: a?.addressLine1 ?? null,
      duns: r.customerProfile?.ids?.find((i) => i.profileType === 'Duns')?.id ?? null,
    },
    contact: person(r.customerProfile?.team?.[0]),
    value: r.details?.dealValue ?? null,
    currency: r.details?.currency ?? null,
    closeDate: r.details?.closingDateTime ? r.details.closingDateTime.slice(0, 10) : null,
    notes: r.details?.notes ?? null,
    campaignId: r.details?.campaignId ?? null,
    stage: dealStageOf(r),
    statusReason: r.statusReason ?? null,
    helpType: helpTypeOf(r),
    visibleToMicrosoft: r.consent?.consentToShareReferralWithMicrosoftSellers ?? false,
    team: (r.team ?? []).map((m) => person(m)!),
    solutions: (r.details?.requirements?.solutions ?? []).map((s) => s.id),
  };
}

export function referralFacts(r: Referral, link: string | null = null): ReferralFacts {
  return {
    referralId: r.id,
    engagementId: r.engagementId ?? null,
    status: r.status,
    substatus: r.substatus ?? null,
    salesStage: r.salesStage ?? null,
    microsoftMsxId: r.trackingInfo?.microsoftMsxId ?? null,
    link,
    direction: r.direction ?? null,
    eTag: r.eTag ?? null,
  };
}

/** A help type outside the documented list (Partner Center's "Unknown") still means help was asked for on a shared deal. */
function helpTypeOf(r: Referral): DealFields['helpType'] {
  const code = r.inviteContext?.assistanceRequestCode;
  if (!code) return 'None';
  if ((HELP_TYPES as readonly string[]).includes(code)) return code as DealFields['helpType'];
  return r.type === 'Shared' ? 'GeneralOrOther' : 'None';
}

const toDateTime = (d: string | null) => (d ? `${d}T00:00:00Z` : null);

/** The create body for a new outbound referral; `externalReferenceId` is the CRM id (idempotency key). */
export function dealFieldsToCreate(d: DealFields, externalReferenceId: string): ReferralCreate {
  const coSell = d.helpType !== 'None';
  const salesStage = (SALES_STAGES as readonly string[]).includes(d.stage) ? (d.stage as SalesStage) : undefined;
  return {
    name: d.name,
    externalReferenceId,
    type: coSell ? 'Shared' : 'Independent',
    qualification: 'SalesQualified',
    direction: 'Outgoing',
    customerProfile: {
      name: d.customer.name,
      address: {
        addressLine1: d.customer.addressLine1,
        city: d.customer.city,
        state: d.customer.state,
        postalCode: d.customer.postalCode,
        country: d.customer.country,
      },
      team: d.contact ? [member(d.contact)] : [],
      ...(d.customer.duns ? { ids: [{ profileType: 'Duns', id: d.customer.duns }] } : {}),
    },
    consent: {
      // (decision) Mapping a customer contact asserts the customer agreed to share it.
      consentToShareInfoWithOthers: d.contact !== null,
      consentToContact: d.contact !== null,
      consentToShareReferralWithMicrosoftSellers: d.visibleToMicrosoft || coSell,
    },
    details: {
      notes: d.notes,
      dealValue: d.value,
      currency: d.currency,
      closingDateTime: toDateTime(d.closeDate),
      campaignId: d.campaignId,
      requirements: { solutions: d.solutions.map((id) => ({ id })) },
    },
    team: d.team.map(member),
    ...(coSell ? { inviteContext: { assistanceRequestCode: d.helpType === 'None' ? null : d.helpType } } : {}),
    ...(salesStage ? { salesStage } : {}),
  };
}

const replace = (path: string, value: unknown): PatchOp => ({ op: 'replace', path, value });

/** Ops that move the lifecycle from one deal stage to another, in the order the server must apply them. */
export function stageOps(from: DealStage, to: DealStage, reason: string | null): PatchOp[] {
  if (from === to) return [];
  const ops: PatchOp[] = [];
  let current: SalesStage | null = (SALES_STAGES as readonly string[]).includes(from) ? (from as SalesStage) : null;
  if (from === 'on-hold' && to !== 'declined') {
    ops.push(replace('/status', 'Active'), replace('/substatus', 'Accepted'));
  }
  switch (to) {
    case 'declined':
      return [replace('/status', 'Closed'), replace('/substatus', 'Declined'), replace('/statusReason', reason)];
    case 'Lost':
      return [...ops, replace('/status', 'Closed'), replace('/substatus', 'Lost'), replace('/statusReason', reason)];
    case 'Won':
      for (const s of stagesToComplete(current, 'Won')) ops.push(replace('/salesStage', s));
      return [...ops, replace('/status', 'Closed'), replace('/substatus', 'Won')];
    case 'on-hold':
    case 'expired':
      return ops; // not something a client can set; plan never asks for it
    case 'initial':
      return current ? [...ops, replace('/salesStage', null)] : ops;
    default: {
      const steps = stagesToComplete(current, to);
      // Forward: mark each skipped stage; backwards: just set the stage.
      for (const s of steps.length ? steps : [to]) ops.push(replace('/salesStage', s));
      current = to;
      return ops;
    }
  }
}

/**
 * One patch as a sequence where each sales stage is completed by its own update, for targets that refuse a
 * jump (a solution assessment): the field edits ride with the first stage, each later stage goes alone, and the
 * closing status (Won) comes last, after the final stage was completed. A patch without stage moves is unsplit.
 */
export function stepwise(ops: PatchOp[]): PatchOp[][] {
  const stages = ops.flatMap((o, i) => (o.path === '/salesStage' ? [i] : []));
  if (stages.length === 0) return [ops];
  const last = stages.at(-1)!;
  const out: PatchOp[][] = [ops.slice(0, stages[0]! + 1), ...stages.slice(1).map((i) => [ops[i]!])];
  const rest = ops.slice(last + 1);
  if (rest.length) out.push(rest);
  return out;
}

/** JSON Patch from `from` to `to`: only changed paths; stage moves last so field edits land before a Won. */
export function buildPatch(from: DealFields, to: DealFields): PatchOp[] {
  const ops: PatchOp[] = [];
  const keys = changedKeys(from, to);
  for (const key of keys) {
    switch (key) {
      case 'name':
        ops.push(replace('/name', to.name));
        break;
      case 'customer': {
        if (from.customer.name !== to.customer.name) ops.push(replace('/customerProfile/name', to.customer.name));
        const addr = ['addressLine1', 'city', 'state', 'postalCode', 'country'] as const;
        for (const f of addr) if (from.customer[f] !== to.customer[f]) ops.push(replace(`/customerProfile/address/${f}`, to.customer[f]));
        if (from.customer.duns !== to.customer.duns) {
          ops.push(replace('/customerProfile/ids', to.customer.duns ? [{ profileType: 'Duns', id: to.customer.duns }] : []));
        }
        break;
      }
      case 'contact':
        ops.push(replace('/customerProfile/team', to.contact ? [member(to.contact)] : []));
        break;
      case 'value':
        ops.push(replace('/details/dealValue', to.value));
        break;
      case 'currency':
        ops.push(replace('/details/currency', to.currency));
        break;
      case 'closeDate':
        ops.push(replace('/details/closingDateTime', toDateTime(to.closeDate)));
        break;
      case 'notes':
        ops.push(replace('/details/notes', to.notes));
        break;
      case 'campaignId':
        ops.push(replace('/details/campaignId', to.campaignId));
        break;
      case 'helpType':
        ops.push(replace('/inviteContext/assistanceRequestCode', to.helpType === 'None' ? null : to.helpType));
        if (to.helpType !== 'None') ops.push(replace('/type', 'Shared'));
        break;
      case 'visibleToMicrosoft':
        ops.push(replace('/consent/consentToShareReferralWithMicrosoftSellers', to.visibleToMicrosoft));
        break;
      case 'team':
        ops.push(replace('/team', to.team.map(member)));
        break;
      case 'solutions':
        ops.push(
          replace(
            '/details/requirements/solutions',
            to.solutions.map((id) => ({ id })),
          ),
        );
        break;
      case 'statusReason':
        if (!keys.includes('stage')) ops.push(replace('/statusReason', to.statusReason));
        break;
      case 'stage':
        break; // appended last
    }
  }
  if (keys.includes('stage')) ops.push(...stageOps(from.stage, to.stage, to.statusReason));
  return ops;
}

/** Referral paths of the create/update rules, by prefix, and the deal field path each one is about. */
const DEAL_PATHS: [prefix: string, deal: string][] = [
  ['customerProfile.address.', 'customer.'],
  ['customerProfile.name', 'customer.name'],
  ['customerProfile.ids', 'customer.duns'],
  ['customerProfile.team', 'contact'],
  ['consent.consentToShareInfoWithOthers', 'contact'],
  ['consent.', 'visibleToMicrosoft'],
  ['details.dealValue', 'value'],
  ['details.currency', 'currency'],
  ['details.closingDateTime', 'closeDate'],
  ['details.notes', 'notes'],
  ['details.campaignId', 'campaignId'],
  ['details.requirements.solutions', 'solutions'],
  ['inviteContext', 'helpType'],
  ['salesStage', 'stage'],
  ['statusReason', 'statusReason'],
  ['team', 'team'],
  ['name', 'name'],
];
const MEMBER_LEAF: Record<string, string> = { firstName: 'firstName', lastName: 'lastName', email: 'email', phoneNumber: 'phone' };

/**
 * The deal field path a referral rule's path is about (`team[0].email` → `team.email`,
 * `details.dealValue` → `value`), so a CRM-side message can name the CRM field through the mapping.
 */
export function dealPathOf(referralPath: string): string {
  for (const [prefix, deal] of DEAL_PATHS) {
    if (!referralPath.startsWith(prefix)) continue;
    if (deal.endsWith('.')) return deal + referralPath.slice(prefix.length);
    // A person's leaf (team[0].email, customerProfile.team[0].phoneNumber) stays on the person.
    const leaf = /\]\.(\w+)$/.exec(referralPath)?.[1];
    return (deal === 'team' || deal === 'contact') && leaf && MEMBER_LEAF[leaf] ? `${deal}.${MEMBER_LEAF[leaf]}` : deal;
  }
  return referralPath;
}
