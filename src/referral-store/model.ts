/**
 * Pure builders for the store's referral rows: a partner's new outbound deal, an invitation row (to Microsoft
 * or another partner), the derived deal type of a row within its engagement, and the wire representation.
 * No I/O; the service decides when to call them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  asHelpType,
  MICROSOFT_ORG_ID,
  deriveDealType,
  isSolutionAssessment,
  responseDeadline,
  stagesToComplete,
  DOCUMENTED_CONSENT_KEY,
  type DealType,
  type HelpType,
  type Referral,
  type ReferralCreate,
  type SalesStage,
} from '../domain/index.js';
import type { EngagementMember, Organization, Stored } from './repository.js';

/** ETags are opaque to clients; unique per write (a per-process random prefix and a counter). */
const etagPrefix = randomBytes(4).toString('hex');
let etagCounter = 0;
export const newEtag = () => `"${etagPrefix}${(++etagCounter).toString(36)}"`;

/** `If-Match` matches when it is `*` or names the current ETag (weak or strong, quoted or not). */
export function etagMatches(ifMatch: string, current: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return ifMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(current));
}

type StageEntry = { salesStage: SalesStage; completedDateTime: string };

/** The stage completions a move from `from` to `to` records (forward moves only; each skipped stage too). */
export function stageEntries(from: SalesStage | null | undefined, to: SalesStage | 'Won' | null | undefined, at: string): StageEntry[] {
  if (!to) return [];
  return stagesToComplete(from, to).map((salesStage) => ({ salesStage, completedDateTime: at }));
}

/** Store datetimes in one canonical UTC form so `$filter` comparisons on them are plain string comparisons. */
export function canonicalDate(v: string | null | undefined): string | null | undefined {
  return v ? new Date(v).toISOString() : v;
}

/** The deal type of a row, from its own fields and the other rows of its engagement. */
export function dealTypeOf(s: Pick<Stored, 'referral' | 'orgId' | 'inviterOrgId'>, engagement: readonly EngagementMember[]): DealType {
  const r = s.referral;
  if (s.orgId === MICROSOFT_ORG_ID) return 'co-sell';
  const invited = engagement.filter((e) => e.inviterOrgId === s.orgId && e.id !== r.id);
  const inbound = s.inviterOrgId ? (s.inviterOrgId === MICROSOFT_ORG_ID ? 'microsoft' : 'partner') : null;
  return deriveDealType({
    // A partner's invitation carries the help its sender asks of that partner, not of Microsoft.
    helpType: inbound === 'partner' ? null : asHelpType(r.inviteContext?.assistanceRequestCode),
    visibleToMicrosoft: r.consent?.consentToShareReferralWithMicrosoftSellers === true,
    microsoftInvited: invited.some((e) => e.orgId === MICROSOFT_ORG_ID),
    partnersInvited: invited.filter((e) => e.orgId !== MICROSOFT_ORG_ID).length,
    solutionAssessment: (r.details?.requirements?.solutions ?? []).some(isSolutionAssessment),
    inboundFrom: inbound,
  });
}

/** A partner's new outbound deal: Active/Accepted from the start (cosell-rules §4). */
export function outboundReferral(body: ReferralCreate, org: Organization, now: string, coSell: boolean): Referral {
  const { id: _id, engagementId: _e, status: _s, substatus: _ss, stageHistory: _h, dealType: _d, trackingInfo: _t, links: _l, target: _target, ...rest } = body;
  return {
    id: randomUUID(),
    engagementId: randomUUID(),
    ...rest,
    organizationId: org.id,
    organizationName: org.name,
    createdDateTime: now,
    updatedDateTime: now,
    acceptedDateTime: now,
    status: 'Active',
    substatus: 'Accepted',
    direction: 'Outgoing',
    favorite: body.favorite ?? false,
    type: coSell ? 'Shared' : (body.type ?? 'Independent'),
    qualification: body.qualification ?? 'SalesQualified',
    consent: { ...body.consent, ...(coSell ? { consentToShareReferralWithMicrosoftSellers: true } : {}) },
    details: body.details ? { ...body.details, closingDateTime: canonicalDate(body.details.closingDateTime) } : body.details,
    // Who invited whom is the store's record, never the client's claim.
    ...(body.inviteContext ? { inviteContext: { notes: body.inviteContext.notes ?? null, assistanceRequestCode: body.inviteContext.assistanceRequestCode ?? null } } : {}),
    target: [],
    stageHistory: stageEntries(null, body.salesStage, now),
  };
}

export interface InvitationInput {
  details?: Referral['details'];
  team?: Referral['team'];
  notes?: string | null;
  helpType?: HelpType | null;
}

/**
 * The invited organization's referral in the engagement: Incoming, New/Pending, expiring after the 14-day
 * window. Customer contacts travel only with the customer's consent to share them.
 */
export function invitationReferral(source: Referral, inviter: Organization, invitee: Organization, input: InvitationInput, now: string): Referral {
  const share = source.consent?.consentToShareInfoWithOthers === true;
  const { team: contacts, ...customer } = source.customerProfile ?? {};
  return {
    id: randomUUID(),
    engagementId: source.engagementId ?? source.id,
    organizationId: invitee.id,
    organizationName: invitee.name,
    name: source.name,
    createdDateTime: now,
    updatedDateTime: now,
    expirationDateTime: responseDeadline(now).toISOString(),
    status: 'New',
    substatus: 'Pending',
    direction: 'Incoming',
    favorite: false,
    type: 'Shared',
    qualification: source.qualification ?? 'SalesQualified',
    customerProfile: { ...customer, ...(share && contacts ? { team: contacts } : {}) },
    consent: source.consent,
    details: input.details ? { ...input.details, closingDateTime: canonicalDate(input.details.closingDateTime) } : source.details,
    team: input.team ?? source.team,
    inviteContext: {
      notes: input.notes ?? null,
      assistanceRequestCode: input.helpType ?? source.inviteContext?.assistanceRequestCode ?? null,
      invitedBy: { organizationId: inviter.id, organizationName: inviter.name },
    },
    target: [{ type: 'BusinessProfileLocation', id: invitee.id }],
    stageHistory: [],
  };
}

/**
 * The referral as the API returns it, built from its stored JSON text: the documented consent key, the
 * current ETag and links appended. Working on the text lets a list page skip a parse/serialize round trip.
 * (Inside JSON text a key is `"name":`; the same characters inside a string value would be escaped as `\"`.)
 */
export function renderJson(body: string, id: string, engagementId: string, etag: string, base: string): string {
  // Ids are store-generated UUIDs (URL- and JSON-safe); they are still encoded for the rare foreign id.
  const self = JSON.stringify(`${base}/referrals/${encodeURIComponent(id)}`);
  const related = JSON.stringify(`${base}/referrals?$filter=engagementId%20eq%20'${encodeURIComponent(engagementId)}'`);
  const wire = body.replace('"consentToShareInfoWithOthers":', `"${DOCUMENTED_CONSENT_KEY}":`);
  return `${wire.slice(0, -1)},"eTag":${JSON.stringify(etag)},"links":{"self":{"uri":${self},"method":"GET","headers":[]},"relatedReferrals":{"uri":${related},"method":"GET","headers":[]}}}`;
}

export const render = (s: Stored, base: string): string => renderJson(JSON.stringify(s.referral), s.referral.id, s.referral.engagementId ?? s.referral.id, s.etag, base);
