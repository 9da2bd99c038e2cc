/**
 * Deal registration in the store (cosell-rules §6): the partner registers its Won deal, Microsoft's reviewer
 * moves the review on the store clock (pending → actionRequired → passed | failed → approved), and every move
 * is mirrored onto the referral's `registrations` milestone (a new ETag and `referral-updated` event) so
 * pulls and webhooks see it. One registration per deal; a failed or approved one is final.
 */
import { randomUUID } from 'node:crypto';
import {
  canMoveRegistration,
  contractNameMatches,
  isReviewClosed,
  registrationEligibility,
  registrationRequestSchema,
  registrationResponseSchema,
  wonTooSoonForRegistration,
  REGISTRATION_MIN_HOURS_CREATE_TO_WON,
  type ReviewStatus,
} from '../../domain/index.js';
import type { StoreClock } from '../clock.js';
import { days } from '../clock.js';
import { ApiError, invalidRequest, notFound, zodIssues } from '../errors.js';
import type { Organization, Repository, Stored } from '../repository.js';
import type { ReferralService } from '../service.js';
import type { Registration, RegistrationRepository, StoredRegistration } from './repository.js';

export interface ReviewConfig {
  /** Days from submission (or the partner's answer) to Microsoft's review. */
  reviewDays: number;
  /** Days from passed to approved. */
  approvalDays: number;
  /** Days the partner has to answer "action required" before the registration fails. */
  actionDays: number;
}

export const DEFAULT_REVIEW: ReviewConfig = { reviewDays: 2, approvalDays: 1, actionDays: 14 };

export class RegistrationService {
  constructor(
    private readonly repo: Repository,
    private readonly regs: RegistrationRepository,
    private readonly referrals: ReferralService,
    private readonly clock: StoreClock,
    private readonly config: ReviewConfig = DEFAULT_REVIEW,
  ) {}

  /** The caller's own deal (registration belongs to the deal's owner, not to an inviter looking at it). */
  private ownDeal(caller: Organization, referralId: string): Stored {
    const s = this.referrals.visible(caller, referralId);
    if (s.orgId !== caller.id) throw new ApiError(403, 'accessDenied', "only the deal's owner can register it", 'id');
    return s;
  }

  register(caller: Organization, referralId: string, body: unknown): Registration {
    const parsed = registrationRequestSchema.safeParse(body ?? {});
    if (!parsed.success) throw invalidRequest('the registration is not valid', zodIssues(parsed.error.issues));
    const req = parsed.data;
    return this.repo.transaction(() => {
      const deal = this.ownDeal(caller, referralId);
      const r = deal.referral;
      const existing = this.regs.byReferral(r.id);
      if (existing) {
        throw new ApiError(409, 'alreadyRegistered', `the deal is already registered (registration ${existing.registration.id} is ${existing.registration.status})`, 'id');
      }
      const solutions = r.details?.requirements?.solutions ?? [];
      const programs = solutions.map((s) => this.regs.incentiveOf(s.id)).filter((p): p is string => !!p);
      const verdict = registrationEligibility({
        type: r.dealType ?? 'private',
        incentives: programs,
        substatus: r.substatus,
        microsoftAccepted: r.trackingInfo?.microsoftMsxId != null,
      });
      if (!verdict.eligible) throw new ApiError(409, 'notEligible', `the deal is not eligible for registration: ${verdict.reason}`, 'id');
      const solution = solutions.find((s) => s.id === req.solutionId);
      if (!solution) {
        throw invalidRequest('the registration is not valid', [
          { path: 'solutionId', message: `'${req.solutionId}' is not a solution of this deal (${solutions.map((s) => s.id).join(', ')})` },
        ]);
      }
      const program = this.regs.incentiveOf(solution.id);
      if (!program) throw new ApiError(409, 'notEligible', `solution '${solution.id}' carries no IP incentive: name the deal's incentive-eligible solution`, 'solutionId');

      const now = this.clock.stamp();
      const created = new Date(r.createdDateTime ?? now);
      const wonAt = new Date(r.closedDateTime ?? now);
      const warnings = wonTooSoonForRegistration(created, wonAt)
        ? [{ code: 'wonTooSoon', message: `the deal was marked Won less than ${REGISTRATION_MIN_HOURS_CREATE_TO_WON} hours after it was created; Microsoft may question it` }]
        : [];
      const registration: Registration = {
        id: randomUUID(),
        referralId: r.id,
        engagementId: r.engagementId ?? r.id,
        status: 'pending',
        statusReason: null,
        customerContractName: req.customerContractName,
        solution: { id: solution.id, name: solution.name ?? null, incentiveProgram: program },
        notes: req.notes ?? null,
        warnings,
        submittedDateTime: now,
        updatedDateTime: now,
        closedDateTime: null,
        history: [{ status: 'pending', at: now, reason: null, by: 'partner' }],
      };
      this.persist(deal, { registration, orgId: deal.orgId, due: this.after(now, this.config.reviewDays) });
      return registration;
    });
  }

  list(caller: Organization, referralId: string): Registration[] {
    const s = this.referrals.visible(caller, referralId);
    const reg = this.regs.byReferral(s.referral.id);
    return reg ? [reg.registration] : [];
  }

  get(caller: Organization, referralId: string, registrationId: string): Registration {
    const reg = this.list(caller, referralId).find((x) => x.id === registrationId);
    if (!reg) throw notFound(`registration '${registrationId}' of referral '${referralId}'`, 'registrationId');
    return reg;
  }

  /** The partner answers "action required" (e.g. the contract name corrected): back to review. */
  respond(caller: Organization, referralId: string, registrationId: string, body: unknown): Registration {
    const parsed = registrationResponseSchema.safeParse(body ?? {});
    if (!parsed.success) throw invalidRequest('the answer is not valid', zodIssues(parsed.error.issues));
    return this.repo.transaction(() => {
      const deal = this.ownDeal(caller, referralId);
      const reg = this.regs.get(registrationId);
      if (!reg || reg.registration.referralId !== deal.referral.id) throw notFound(`registration '${registrationId}' of referral '${referralId}'`, 'registrationId');
      if (reg.registration.status !== 'actionRequired') {
        throw new ApiError(409, 'invalidTransition', `the registration is ${reg.registration.status}: only a registration that needs action takes an answer`, 'status');
      }
      const next = {
        ...reg.registration,
        ...(parsed.data.customerContractName ? { customerContractName: parsed.data.customerContractName } : {}),
        ...(parsed.data.notes ? { notes: parsed.data.notes } : {}),
      };
      return this.move({ ...reg, registration: next }, 'pending', null, 'partner');
    });
  }

  /** Microsoft's reviewer (or an admin forcing an outcome) moves a registration; refused moves are 409. */
  decide(registrationId: string, to: ReviewStatus, reason: string | null): Registration {
    return this.repo.transaction(() => {
      const reg = this.regs.get(registrationId);
      if (!reg) throw notFound(`registration '${registrationId}'`, 'registrationId');
      return this.move(reg, to, reason, 'microsoft');
    });
  }

  /** The store's catalogue: which IP incentive a solution carries (null: none). */
  setIncentive(solutionId: string, program: string | null): void {
    this.repo.transaction(() => this.regs.setIncentive(solutionId, program));
  }

  registrationOf(referralId: string): StoredRegistration | undefined {
    return this.regs.byReferral(referralId);
  }

  /** Run every review move whose time has come on the store clock; returns how many moved. */
  reviewDue(): number {
    return this.repo.transaction(() => {
      const due = this.regs.due(this.clock.latest().toISOString());
      for (const reg of due) {
        const r = reg.registration;
        if (r.status === 'pending') {
          const deal = this.repo.get(r.referralId)!;
          const customer = deal.referral.customerProfile?.name;
          if (contractNameMatches(r.customerContractName, customer)) this.move(reg, 'passed', null, 'microsoft');
          else
            this.move(
              reg,
              'actionRequired',
              `the company name on the contract ('${r.customerContractName}') does not match the deal's customer ('${customer ?? ''}'): correct it or explain`,
              'microsoft',
            );
        } else if (r.status === 'passed') {
          this.move(reg, 'approved', null, 'microsoft');
        } else if (r.status === 'actionRequired') {
          this.move(reg, 'failed', `no answer to the action required within ${this.config.actionDays} days`, 'microsoft');
        }
      }
      return due.length;
    });
  }

  private move(reg: StoredRegistration, to: ReviewStatus, reason: string | null, by: 'partner' | 'microsoft'): Registration {
    const from = reg.registration.status;
    const verdict = canMoveRegistration(from, to);
    if (!verdict.ok) throw new ApiError(409, isReviewClosed(from) ? 'terminalState' : 'invalidTransition', verdict.reason, 'status');
    const now = this.clock.stamp();
    const registration: Registration = {
      ...reg.registration,
      status: to,
      statusReason: reason,
      updatedDateTime: now,
      closedDateTime: isReviewClosed(to) ? now : null,
      history: [...reg.registration.history, { status: to, at: now, reason, by }],
    };
    const wait = to === 'pending' ? this.config.reviewDays : to === 'passed' ? this.config.approvalDays : to === 'actionRequired' ? this.config.actionDays : null;
    this.persist(this.repo.get(registration.referralId)!, { ...reg, registration, due: wait === null ? null : this.after(now, wait) });
    return registration;
  }

  /** Save the registration and mirror it onto the deal's milestone (a system write: the deal itself is Won). */
  private persist(deal: Stored, reg: StoredRegistration): void {
    this.regs.save(reg);
    this.referrals.recordSystemChange(deal, { ...deal.referral, registrations: [reg.registration] });
  }

  private after(iso: string, n: number): string {
    return new Date(new Date(iso).getTime() + days(n)).toISOString();
  }
}
