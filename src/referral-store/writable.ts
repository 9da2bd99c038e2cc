/**
 * What a partner may write on a referral, per side and deal type (the allow-list JSON Patch and PUT are held
 * to), and what only the store (or the Microsoft actor) sets. Fields are dotted paths without array indexes.
 */
import { INBOUND_EDITABLE, isSolutionAssessment, type Referral } from '../domain/index.js';

/** Set by the store or by Microsoft: a partner's write of one (to a different value) is refused, naming it. */
export const STORE_OWNED = [
  'id',
  'engagementId',
  'organizationId',
  'organizationName',
  'createdDateTime',
  'updatedDateTime',
  'expirationDateTime',
  'acceptedDateTime',
  'closedDateTime',
  'direction',
  'stageHistory',
  'dealType',
  'trackingInfo',
  'target',
  'inviteContext.invitedBy',
  'registrations',
  'links',
] as const;

const DETAILS = ['details.notes', 'details.dealValue', 'details.currency', 'details.closingDateTime', 'details.campaignId'];
const REQUIREMENTS_BUT_SOLUTIONS = ['industries', 'products', 'services', 'additionalRequirements'].map((k) => `details.requirements.${k}`);

/** The partner's own outbound deal. */
const OUTBOUND = [
  'name',
  'externalReferenceId',
  'status',
  'substatus',
  'statusReason',
  'salesStage',
  'favorite',
  'type',
  'qualification',
  'customerProfile',
  'consent',
  'team',
  'inviteContext.notes',
  'inviteContext.assistanceRequestCode',
  'partnerRole',
  'solutionArea',
  'solutionPlay',
  'referralSource',
  'callToAction',
  ...DETAILS,
];

export const under = (field: string, roots: readonly string[]) => roots.some((r) => field === r || field.startsWith(`${r}.`));

export const isAssessment = (r: Referral) => r.dealType === 'solution-assessment' || (r.details?.requirements?.solutions ?? []).some(isSolutionAssessment);

/**
 * Writable fields of `r` for the organizations that may edit it (its owner, or the inviter of a partner
 * invitation; who may change what within these is `canUpdate`'s). A received referral (Incoming) takes what
 * its receiver edits in Partner Center; a solution assessment keeps its assessment (changing it would turn the
 * deal into another type and escape the mandatory stages).
 */
export function writableFields(r: Referral): readonly string[] {
  if (r.direction === 'Incoming') return INBOUND_EDITABLE.filter((f) => !under(f, STORE_OWNED) && f !== 'eTag');
  return isAssessment(r) ? [...OUTBOUND, ...REQUIREMENTS_BUT_SOLUTIONS] : [...OUTBOUND, 'details.requirements'];
}
