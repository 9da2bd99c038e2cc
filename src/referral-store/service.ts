/**
 * The store's business logic: create, read, update (JSON Patch and legacy PUT), invitations and the system
 * moves (expiry, Microsoft's decisions, Microsoft-sent referrals). Every rule comes from `src/domain`; this
 * module decides which rule applies to which request and records the outcome and its events atomically.
 */
import { randomUUID, createHash } from 'node:crypto';
import {
  asHelpType,
  MICROSOFT_ORG_ID,
  canInvite,
  canUpdate,
  changedPaths,
  checkTransition,
  invitesMicrosoft,
  isTerminal,
  normalizeKeys,
  patchSchema,
  referralCreateSchema,
  strictReferralSchema,
  validateCreate,
  type Issue,
  type PatchOp,
  type Referral,
  type ReferralCreate,
  type SalesStage,
  stageIndex,
} from '../domain/index.js';
import type { StoreClock } from './clock.js';
import { ApiError, invalidRequest, notFound, zodIssues } from './errors.js';
import { emit, newInboundRecipients, toOrg, toSender } from './events.js';
import { applyPatch } from './json-patch.js';
import { isAssessment, STORE_OWNED, under, writableFields } from './writable.js';
import { canonicalDate, dealTypeOf, etagMatches, invitationReferral, newEtag, outboundReferral, stageEntries } from './model.js';
import { memberOf, type EngagementMember, type Organization, type Repository, type Stored } from './repository.js';

/** What a PUT keeps from the stored referral when its body leaves it out: the store-owned top-level fields (links are made per answer). */
const PUT_KEPT = STORE_OWNED.filter((k): k is Exclude<(typeof STORE_OWNED)[number], 'inviteContext.invitedBy' | 'links'> => k !== 'links' && !k.includes('.'));
const INVITEE_ONLY = ['status', 'substatus', 'statusReason', 'salesStage', 'favorite', 'externalReferenceId', 'trackingInfo'];
const UPDATE_STATUS = new Map<string, number>([
  ['terminalState', 409],
  ['invalidTransition', 409],
  ['stagesIncomplete', 409],
  ['immutableField', 400],
  ['invalidValue', 400],
]);
const ASSESSMENT_STAGES = 'a solution assessment completes each sales stage (Qualify, Develop, Propose, Close) with its own update, in order, and is Won only after Close';

/**
 * (decision) Read-only properties the store sets itself (older doc examples send them in a create body) are
 * ignored rather than rejected; anything else unknown is still a 400.
 */
const READ_ONLY_ON_CREATE = ['createdDateTime', 'updatedDateTime', 'eTag', 'links'];
/** Store-owned fields a create body may not set (ids come from the store; `target` names an invitation). */
const CREATE_STORE_SET = [
  'acceptedDateTime',
  'closedDateTime',
  'expirationDateTime',
  'organizationId',
  'organizationName',
  'stageHistory',
  'dealType',
  'trackingInfo',
  'registrations',
] as const satisfies readonly (keyof ReferralCreate)[];
function withoutReadOnly(body: unknown): unknown {
  const doc = normalizeKeys(body);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !READ_ONLY_ON_CREATE.includes(k)));
}

export interface CreateResult {
  stored: Stored;
  /** false when an idempotent invitation already existed */
  created: boolean;
}

export class ReferralService {
  constructor(
    private readonly repo: Repository,
    private readonly clock: StoreClock,
  ) {}

  org(id: string): Organization {
    const o = this.repo.getOrg(id);
    if (!o) throw notFound(`organization '${id}'`, 'organizationId');
    return o;
  }

  /** A referral the caller may see: its own, or an invitation it sent. Anything else is "not found". */
  visible(caller: Organization, id: string): Stored {
    const s = this.repo.get(id);
    if (!s || (s.orgId !== caller.id && s.inviterOrgId !== caller.id)) throw notFound(`referral '${id}'`);
    return s;
  }

  // ---- create -------------------------------------------------------------------------------------------

  create(caller: Organization, body: unknown): CreateResult {
    const parsed = referralCreateSchema.safeParse(withoutReadOnly(body));
    if (!parsed.success) throw invalidRequest('the referral is not valid', zodIssues(parsed.error.issues));
    const input = parsed.data;
    return this.repo.transaction(() => {
      if (input.engagementId) {
        const targets = input.target ?? [];
        if (targets.length !== 1) {
          throw invalidRequest('an invitation into an existing engagement names one organization', [
            { path: 'target', message: "name exactly one invited organization: [{ type: 'BusinessProfileLocation', id }]" },
          ]);
        }
        return this.invite(caller, input.engagementId, targets[0]!.id, input);
      }
      const partnerTarget = (input.target ?? []).find((t) => t.id !== MICROSOFT_ORG_ID);
      if (partnerTarget) {
        throw invalidRequest('partners are invited into an existing deal', [{ path: 'target', message: 'create the deal first, then POST the invitation with its engagementId' }]);
      }
      if (input.status && input.status !== 'Active' && input.status !== 'New') {
        throw invalidRequest('a new deal starts Active/Accepted', [{ path: 'status', message: `a new outbound deal cannot be created ${input.status}` }]);
      }
      if (input.substatus && input.substatus !== 'Accepted') {
        throw invalidRequest('a new deal starts Active/Accepted', [{ path: 'substatus', message: `a new outbound deal cannot be created ${input.substatus}` }]);
      }
      const storeSet = [...CREATE_STORE_SET.filter((k) => input[k] != null), ...(input.inviteContext?.invitedBy != null ? ['inviteContext.invitedBy'] : [])];
      if (storeSet.length) {
        throw invalidRequest(
          'the referral sets fields only the store sets',
          storeSet.map((k) => ({ path: k, message: `${k} is set by the store, not by a partner` })),
        );
      }
      if (isAssessment(input as Referral) && stageIndex(input.salesStage) > 0) throw new ApiError(409, 'stagesIncomplete', ASSESSMENT_STAGES, 'salesStage');
      this.rejectDuplicate(caller, input.externalReferenceId, null);
      const coSell = invitesMicrosoft(input);
      const issues = validateCreate(input, { microsoftInvited: coSell, solutionAssessmentAllowed: caller.solutionAssessmentVetted });
      if (issues.length) throw invalidRequest('the referral is not valid', issues);
      const now = this.clock.stamp();
      const stored: Stored = { referral: outboundReferral(input, caller, now, coSell), orgId: caller.id, inviterOrgId: null, sourceId: null, etag: newEtag() };
      stored.referral.dealType = dealTypeOf(stored, []);
      this.repo.insert(stored);
      emit(this.repo, 'referral-created', stored.referral, caller.id, now, [toOrg(caller.id)]);
      if (coSell) this.inviteMicrosoftFor(stored, caller);
      return { stored: this.repo.get(stored.referral.id)!, created: true };
    });
  }

  /** A P2P or Microsoft invitation: a related referral in the caller's engagement (cosell-rules §2, §3). */
  private invite(caller: Organization, engagementId: string, inviteeId: string, input: ReferralCreate): CreateResult {
    const rows = this.repo.byEngagement(engagementId);
    const source = rows.find((r) => r.orgId === caller.id);
    if (!source) throw notFound(`engagement '${engagementId}'`, 'engagementId');
    const existing = rows.find((r) => r.orgId === inviteeId && r.inviterOrgId === caller.id);
    if (existing) return { stored: existing, created: false };
    if (inviteeId === caller.id) throw invalidRequest('an organization cannot invite itself', [{ path: 'target[0].id', message: 'name another organization' }]);
    const invitee = this.repo.getOrg(inviteeId);
    if (!invitee) throw invalidRequest('the invited partner does not exist', [{ path: 'target[0].id', message: `no organization '${inviteeId}' in the co-sell ecosystem` }]);
    const microsoft = inviteeId === MICROSOFT_ORG_ID;
    const verdict = canInvite(
      {
        type: dealTypeOf(source, rows.map(memberOf)),
        direction: source.referral.direction ?? 'Outgoing',
        terminal: isTerminal(source.referral),
        microsoftInvited: rows.some((r) => r.orgId === MICROSOFT_ORG_ID && r.inviterOrgId === caller.id),
      },
      microsoft ? 'microsoft' : 'partner',
    );
    if (!verdict.ok) throw new ApiError(409, isTerminal(source.referral) ? 'terminalState' : 'invalidTransition', verdict.reason, 'target');
    if (microsoft) {
      this.checkMicrosoftContact(source.referral);
      return { stored: this.inviteMicrosoftFor(source, caller), created: true };
    }
    const now = this.clock.stamp();

    // The invitation's own details (close date, value, team, solutions) are validated as a deal of their own.
    const draft = invitationReferral(
      source.referral,
      caller,
      invitee,
      {
        ...(input.details ? { details: input.details } : {}),
        ...(input.team ? { team: input.team } : {}),
        notes: input.inviteContext?.notes ?? null,
        helpType: asHelpType(input.inviteContext?.assistanceRequestCode),
      },
      now,
    );
    if (!input.details || !input.team) {
      throw invalidRequest('the invitation is not complete', [
        ...(!input.details ? [{ path: 'details', message: 'close date, estimated value, currency and at least one solution are required for each invited partner' }] : []),
        ...(!input.team ? [{ path: 'team', message: "the inviter's team for this partner is required" }] : []),
      ]);
    }
    const issues = validateCreate(draft as ReferralCreate, { microsoftInvited: false, solutionAssessmentAllowed: true }).filter((i) => !i.path.startsWith('customerProfile'));
    if (issues.length) throw invalidRequest('the invitation is not valid', issues);
    return { stored: this.insertInvitation(source, caller, invitee, draft, now), created: true };
  }

  /** Create Microsoft's related referral for a co-sell deal (once) and make the deal Shared and visible. */
  private inviteMicrosoftFor(source: Stored, inviter: Organization): Stored {
    const rows = this.repo.byEngagement(source.referral.engagementId!);
    const existing = rows.find((r) => r.orgId === MICROSOFT_ORG_ID && r.inviterOrgId === inviter.id);
    if (existing) return existing;
    const msft = this.org(MICROSOFT_ORG_ID);
    const now = this.clock.stamp();
    const draft = invitationReferral(source.referral, inviter, msft, { notes: source.referral.inviteContext?.notes ?? null }, now);
    const inv = this.insertInvitation(source, inviter, msft, draft, now);
    const r = source.referral;
    if (r.type !== 'Shared' || r.consent?.consentToShareReferralWithMicrosoftSellers !== true) {
      const after: Referral = { ...r, type: 'Shared', consent: { ...r.consent, consentToShareReferralWithMicrosoftSellers: true } };
      this.save(source, after, [...rows, inv].map(memberOf));
    } else {
      this.refreshDealType(source);
    }
    return inv;
  }

  private insertInvitation(source: Stored, inviter: Organization, invitee: Organization, draft: Referral, now: string): Stored {
    const stored: Stored = { referral: draft, orgId: invitee.id, inviterOrgId: inviter.id, sourceId: source.referral.id, etag: newEtag() };
    stored.referral.dealType = dealTypeOf(stored, []);
    this.repo.insert(stored);
    emit(this.repo, 'referral-created', draft, invitee.id, now, newInboundRecipients(invitee.id, draft));
    emit(this.repo, 'related-referral-created', draft, inviter.id, now, [toOrg(inviter.id)]);
    if (source.referral.id !== draft.id) this.refreshDealType(source);
    return stored;
  }

  /** Re-derive the source's deal type after its engagement changed (e.g. a partner was invited). */
  private refreshDealType(source: Stored): void {
    const current = this.repo.get(source.referral.id)!;
    const type = dealTypeOf(current, this.repo.members(current.referral.engagementId!));
    if (type !== current.referral.dealType) this.save(current, { ...current.referral, dealType: type });
  }

  // ---- update ---------------------------------------------------------------------------------------------

  patch(caller: Organization, id: string, body: unknown, ifMatch: string | undefined): Stored {
    return this.repo.transaction(() => {
      const current = this.visible(caller, id);
      this.checkPrecondition(current, ifMatch);
      const ops = patchSchema.safeParse(body);
      if (!ops.success) throw invalidRequest('the body must be a JSON Patch array of add/replace operations', zodIssues(ops.error.issues));
      this.rejectIfTerminal(
        current,
        ops.data.map((o) => o.path.slice(1).replace(/\//g, '.')),
      );
      // Each successive /salesStage value within one request records its completion.
      const stages: ReturnType<typeof stageEntries> = [];
      const now = this.clock.stamp();
      let stage = current.referral.salesStage ?? null;
      const result = applyPatch(current.referral as Record<string, unknown>, ops.data as PatchOp[], writableFields(current.referral), (doc) => {
        const next = (doc.salesStage ?? null) as SalesStage | null;
        if (next !== stage) {
          stages.push(...stageEntries(stage, next, now));
          stage = next;
        }
      });
      if (!result.ok) throw invalidRequest('the patch cannot be applied', [{ path: result.path, message: result.message }]);
      return this.update(caller, current, result.doc, now, stages);
    });
  }

  put(caller: Organization, id: string, body: unknown, ifMatch: string | undefined): Stored {
    return this.repo.transaction(() => {
      const current = this.visible(caller, id);
      if (!ifMatch) throw new ApiError(428, 'preconditionRequired', 'PUT requires an If-Match header with the referral ETag', 'If-Match');
      this.checkPrecondition(current, ifMatch);
      this.rejectIfTerminal(current, []);
      const doc = normalizeKeys(body);
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
        throw invalidRequest('a PUT body is the whole referral', [{ path: '(body)', message: 'expected a JSON object' }]);
      }
      if ('links' in doc) throw invalidRequest('a PUT body must not carry links', [{ path: 'links', message: 'remove links from the body' }]);
      // Fields the store keeps (ids, timestamps, bookkeeping) may be left out of a PUT body: they are kept.
      const kept = Object.fromEntries(PUT_KEPT.filter((k) => !(k in doc) && current.referral[k] != null).map((k) => [k, current.referral[k]]));
      const next = { ...kept, ...(doc as Record<string, unknown>) };
      const now = this.clock.stamp();
      const stages = stageEntries(current.referral.salesStage, (next.salesStage ?? null) as SalesStage | null, now);
      return this.update(caller, current, next, now, stages);
    });
  }

  private checkPrecondition(current: Stored, ifMatch: string | undefined): void {
    if (ifMatch && !etagMatches(ifMatch, current.etag)) {
      throw new ApiError(412, 'preconditionFailed', 'the referral was changed since it was read (ETag mismatch): read it again and reapply the change', 'If-Match');
    }
  }

  /** A terminal referral takes no change of any kind: refuse before looking at the request's content. */
  private rejectIfTerminal(current: Stored, paths: string[]): void {
    const r = current.referral;
    if (!isTerminal(r)) return;
    const verdict = checkTransition({ status: r.status, substatus: r.substatus ?? null }, { status: 'Active' });
    throw new ApiError(409, 'terminalState', verdict.ok ? `the referral is ${r.substatus}` : verdict.reason, paths[0] ?? 'status');
  }

  /**
   * A second referral of one organization with the same `externalReferenceId` is refused (409 naming the
   * existing one): retried or concurrent creates of one CRM record make one referral. Creates run in one
   * SQLite transaction each, so the look-up and the insert cannot interleave.
   */
  private rejectDuplicate(caller: Organization, externalReferenceId: string | null | undefined, self: string | null): void {
    if (!externalReferenceId) return;
    const existing = this.repo.idByExternalReference(caller.id, externalReferenceId);
    if (!existing || existing === self) return;
    throw new ApiError(409, 'duplicateExternalReferenceId', `externalReferenceId '${externalReferenceId}' is already used by referral '${existing}'`, 'externalReferenceId', [
      { code: 'existingReferral', message: existing, target: 'id' },
    ]);
  }

  /** Fields of the request's next state the caller may not write: the store's own, or outside the allow-list. */
  private rejectUnwritable(before: Referral, doc: Record<string, unknown>): void {
    const writable = writableFields(before);
    const refused = changedPaths(before, doc).filter((p) => !under(p, writable));
    if (!refused.length) return;
    const why = (p: string) =>
      under(p, STORE_OWNED)
        ? 'is set by the store, not by a partner'
        : before.direction === 'Incoming'
          ? 'of an inbound referral is set by its sender'
          : 'is not writable on this referral';
    throw invalidRequest(
      'the update changes fields the caller cannot write',
      refused.map((p) => ({ path: p, message: `${p} ${why(p)}` })),
    );
  }

  /** Validate `doc` as the referral's next state (domain `canUpdate`), apply side effects, save. */
  private update(caller: Organization, current: Stored, doc: Record<string, unknown>, now: string, stages: ReturnType<typeof stageEntries>): Stored {
    const before = current.referral;
    // The ETag is rendered on read (a PUT echoes it back), never stored.
    delete doc.eTag;
    this.rejectUnwritable(before, doc);
    // Partner Center clients accept with `/status: Active` alone; Active has one substatus.
    if (doc.status === 'Active' && before.status !== 'Active' && doc.substatus === before.substatus) doc.substatus = 'Accepted';
    // `doc` is normalised already (stored form + normalised patch values, or a normalised PUT body), so the
    // schema's own key pass is skipped.
    const parsed = strictReferralSchema.out.safeParse(doc);
    if (!parsed.success) throw invalidRequest('the updated referral is not valid', zodIssues(parsed.error.issues));
    const after: Referral = { ...parsed.data, stageHistory: [...(before.stageHistory ?? []), ...stages] };
    if (after.details?.closingDateTime) after.details = { ...after.details, closingDateTime: canonicalDate(after.details.closingDateTime) };

    const won = after.substatus === 'Won' && before.substatus !== 'Won';
    if (isAssessment(before) && (stages.length > 1 || (won && (stages.length > 0 || before.salesStage !== 'Close')))) {
      throw new ApiError(409, 'stagesIncomplete', ASSESSMENT_STAGES, 'salesStage');
    }
    // Won on a deal short of Negotiated: complete the skipped stages now (stages are optional but for an SA).
    if (won && after.salesStage !== 'Close') {
      after.stageHistory = [...(after.stageHistory ?? []), ...stageEntries(after.salesStage, 'Won', now)];
      after.salesStage = 'Close';
    }
    if (after.externalReferenceId !== before.externalReferenceId) this.rejectDuplicate(this.org(current.orgId), after.externalReferenceId, before.id);
    const actor = current.orgId === caller.id ? 'owner' : 'inviter';
    if (actor === 'inviter') this.rejectInviteeOnly(before, after);
    const verdict = canUpdate(before, after, { actor });
    if (!verdict.ok) {
      const status = UPDATE_STATUS.get(verdict.code) ?? 400;
      throw status === 400
        ? invalidRequest('the update is not allowed', verdict.issues)
        : new ApiError(
            status,
            verdict.code,
            verdict.issues.map((i) => i.message).join('; '),
            verdict.issues[0]?.path ?? null,
            verdict.issues.map((i) => ({ code: verdict.code, message: i.message, target: i.path })),
          );
    }
    if (before.status === 'New' && after.status === 'Active') after.acceptedDateTime = now;
    if (after.status === 'Closed' && before.status !== 'Closed') after.closedDateTime = now;

    const wantsMicrosoft =
      after.direction !== 'Incoming' &&
      ((after.inviteContext?.assistanceRequestCode != null && before.inviteContext?.assistanceRequestCode == null) || (after.type === 'Shared' && before.type !== 'Shared'));
    if (wantsMicrosoft) this.checkMicrosoftInvite(current, after);
    const saved = this.save(current, after);
    if (!wantsMicrosoft) return saved;
    this.inviteMicrosoftFor(saved, this.org(saved.orgId));
    return this.repo.get(saved.referral.id)!;
  }

  /**
   * (decision) The answer to an invitation and the invitee's own bookkeeping belong to the invited
   * organization: the inviter cannot accept, decline, stage or favourite the invitee's referral (403).
   */
  private rejectInviteeOnly(before: Referral, after: Referral): void {
    const owned = changedPaths(before, after).filter((p) => INVITEE_ONLY.some((r) => p === r || p.startsWith(`${r}.`)));
    if (owned.length) {
      throw new ApiError(403, 'accessDenied', `only the invited organization can change ${owned.join(', ')} of its referral`, owned[0]!);
    }
  }

  /** Turning a deal into co-sell invites Microsoft: the combinations table and the contact rules apply. */
  private checkMicrosoftInvite(current: Stored, after: Referral): void {
    const rows = this.repo.byEngagement(after.engagementId!);
    const microsoftInvited = rows.some((r) => r.orgId === MICROSOFT_ORG_ID && r.inviterOrgId === current.orgId);
    if (microsoftInvited) return;
    const verdict = canInvite({ type: dealTypeOf(current, rows.map(memberOf)), direction: after.direction ?? 'Outgoing', terminal: false }, 'microsoft');
    if (!verdict.ok) throw new ApiError(409, 'invalidTransition', verdict.reason, 'inviteContext.assistanceRequestCode');
    this.checkMicrosoftContact(after);
  }

  /** Inviting Microsoft sellers needs a complete customer contact, shared with the customer's consent (§3). */
  private checkMicrosoftContact(r: Referral): void {
    const issues: Issue[] = validateCreate(r as ReferralCreate, { microsoftInvited: true, solutionAssessmentAllowed: true }).filter(
      (i) => i.path.startsWith('customerProfile.team') || i.path.startsWith('consent'),
    );
    if (issues.length) throw invalidRequest('Microsoft sellers can only be invited with a customer contact', issues);
  }

  /**
   * Write the next state with a fresh stamp and ETag, and record the events: the owner's `referral-updated`,
   * and `related-referral-updated` for the other organizations of the engagement (the sender is told as such
   * on a decline or an expiry).
   */
  private save(current: Stored, next: Referral, engagement?: EngagementMember[]): Stored {
    const rows = engagement ?? this.repo.members(next.engagementId ?? next.id);
    // Every write gets its own stamp, so updatedDateTime strictly increases even within one request.
    const stamp = this.clock.stamp();
    const stored: Stored = { ...current, referral: { ...next, updatedDateTime: stamp }, etag: newEtag() };
    delete (stored.referral as { eTag?: unknown }).eTag;
    delete (stored.referral as { links?: unknown }).links;
    stored.referral.dealType = dealTypeOf(stored, rows);
    this.repo.update(stored);
    const closedBySide = next.status === 'Closed' && current.referral.status === 'New';
    emit(this.repo, 'referral-updated', stored.referral, stored.orgId, stamp, [toOrg(stored.orgId)]);
    const others = new Set(rows.map((r) => r.orgId).filter((o) => o !== stored.orgId));
    if (stored.inviterOrgId) others.add(stored.inviterOrgId);
    for (const org of others) {
      const isSender = org === stored.inviterOrgId && closedBySide;
      emit(this.repo, 'related-referral-updated', stored.referral, org, stamp, [isSender ? toSender(org) : toOrg(org)]);
    }
    return stored;
  }

  // ---- system moves ---------------------------------------------------------------------------------------

  /** A store-owned write the partner's update rules don't govern (the registration milestone of a Won deal). */
  recordSystemChange(current: Stored, next: Referral): Stored {
    return this.save(current, next);
  }

  /** Unanswered referrals past their 14-day window become Closed/Expired; the sender is notified. */
  expireDue(): number {
    return this.repo.transaction(() => {
      const due = this.repo.dueForExpiry(this.clock.latest().toISOString());
      for (const s of due) {
        const now = this.clock.stamp();
        this.save(s, { ...s.referral, status: 'Closed', substatus: 'Expired', statusReason: 'No answer within 14 days', closedDateTime: now });
      }
      return due.length;
    });
  }

  /** Microsoft's sellers accept or decline a co-sell invitation (the `msft` referral of an engagement). */
  decideForMicrosoft(invitation: Stored, decision: 'accept' | 'decline', reason?: string): Stored {
    return this.repo.transaction(() => {
      const s = this.repo.get(invitation.referral.id)!;
      if (s.orgId !== MICROSOFT_ORG_ID || !s.inviterOrgId)
        throw invalidRequest('not a co-sell invitation to Microsoft', [{ path: 'referralId', message: 'name the Microsoft referral of a co-sell engagement' }]);
      if (s.referral.status !== 'New') {
        throw new ApiError(409, isTerminal(s.referral) ? 'terminalState' : 'invalidTransition', `Microsoft already answered this invitation (${s.referral.substatus})`, 'decision');
      }
      const to = decision === 'accept' ? ({ status: 'Active', substatus: 'Accepted' } as const) : ({ status: 'Closed', substatus: 'Declined' } as const);
      const now = this.clock.stamp();
      if (decision === 'decline') {
        return this.save(s, { ...s.referral, ...to, statusReason: reason ?? 'Microsoft sellers declined the co-sell invitation', closedDateTime: now });
      }
      const msx = `MSX-${createHash('sha256')
        .update(s.referral.engagementId ?? s.referral.id)
        .digest('hex')
        .slice(0, 10)
        .toUpperCase()}`;
      const accepted = this.save(s, { ...s.referral, ...to, acceptedDateTime: now, trackingInfo: { microsoftMsxId: msx } });
      const source = s.sourceId ? this.repo.get(s.sourceId) : undefined;
      if (source && !isTerminal(source.referral)) this.save(source, { ...source.referral, trackingInfo: { microsoftMsxId: msx } });
      return accepted;
    });
  }

  /** Microsoft's sellers send a referral to a partner: an Incoming co-sell referral waiting for an answer. */
  sendFromMicrosoft(to: Organization, body: ReferralCreate): Stored {
    const issues = validateCreate(body, { microsoftInvited: false, solutionAssessmentAllowed: true });
    if (issues.length) throw invalidRequest("Microsoft's referral is not valid", issues);
    return this.repo.transaction(() => {
      const msft = this.org(MICROSOFT_ORG_ID);
      const now = this.clock.stamp();
      const source: Stored = {
        referral: { ...outboundReferral(body, msft, now, true), type: 'Shared' },
        orgId: MICROSOFT_ORG_ID,
        inviterOrgId: null,
        sourceId: null,
        etag: newEtag(),
      };
      source.referral.dealType = 'co-sell';
      this.repo.insert(source);
      const sent = this.clock.stamp();
      const draft = invitationReferral(
        source.referral,
        msft,
        to,
        { notes: body.inviteContext?.notes ?? null, helpType: asHelpType(body.inviteContext?.assistanceRequestCode) ?? 'GeneralOrOther' },
        sent,
      );
      return this.insertInvitation(source, msft, to, draft, sent);
    });
  }

  newOrganizationId(): string {
    return randomUUID();
  }
}
