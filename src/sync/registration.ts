/**
 * Deal registration from the CRM (issue 17): every opportunity whose "register" checkbox is ticked is
 * registered with the referrals API once it is eligible, and the review's progress (status, Microsoft's
 * reason, action required, one readable line) is written back until the review is complete. The store (or
 * Partner Center) decides eligibility; its refusal reason becomes the line the rep sees. Nothing else of the
 * deal is sent: a Won deal is never reopened or edited.
 */
import type { CrmConnector, CrmRecord, CrmUpdate } from '../../connectors/index.js';
import {
  INCENTIVE_PROGRAMS,
  isReviewClosed,
  registrationEligibility,
  registrationViewSchema,
  sameValue,
  type Referral,
  type RegistrationRequest,
  type RegistrationResponse,
  type RegistrationView,
  type ReviewStatus,
} from '../domain/index.js';
import type { NotifyEvent, RegistrationSection } from '../mapping/index.js';
import { describeError, ValidationError, type Logger } from '../runtime/index.js';
import type { Notification } from './notify.js';
import type { ReferralWithEtag } from './ports.js';

export interface RegistrationsPort {
  read(id: string): Promise<ReferralWithEtag | null>;
  register(id: string, body: RegistrationRequest): Promise<RegistrationView>;
  answerRegistration(id: string, registrationId: string, body: RegistrationResponse): Promise<RegistrationView>;
}

export interface RegistrationStepDeps {
  connection: string;
  crm: CrmConnector;
  referrals: RegistrationsPort;
  spec: RegistrationSection;
  /** The CRM field holding the referral id (the mapping's writeBack.referralId). */
  referralIdField: string;
  log: Logger;
  /** Tell the rep about Microsoft's moves (action required, passed, failed) before they are written back. */
  notify?: (notes: Notification[]) => Promise<unknown>;
}

const NOTIFY_ON: Partial<Record<ReviewStatus, NotifyEvent>> = { actionRequired: 'registrationActionRequired', passed: 'registrationPassed', failed: 'registrationFailed' };

/** Microsoft's move as a notification; the key counts the moves so a second "action required" is its own event. */
function reviewNotification(record: CrmRecord, view: RegistrationView): Notification | null {
  const event = NOTIFY_ON[view.status];
  if (!event) return null;
  return {
    event,
    key: `registration-${view.status}:${view.id}:${view.history.length}`,
    crmId: record.id,
    values: { referralId: view.referralId, status: view.status, reason: view.statusReason ?? null },
  };
}

export interface RegistrationCounts {
  flagged: number;
  registered: number;
  refused: number;
  writtenBack: number;
  issues: number;
}

/** What the rep sees for one flagged opportunity. */
type Outcome = { view: RegistrationView } | { refusal: string };

const WON_TOO_SOON = 'wonTooSoon';

/** The readable line: ✔ while on track, ✖ when the rep must act or it is over. */
export function registrationLine(o: Outcome): string {
  if ('refusal' in o) return `✖ not eligible: ${o.refusal}`;
  const { status, statusReason, warnings } = o.view;
  const warn = warnings.some((w) => w.code === WON_TOO_SOON) ? ' (warning: Won less than 72 hours after it was created)' : '';
  switch (status) {
    case 'pending':
      return `✔ registration pending: in Microsoft's review${warn}`;
    case 'actionRequired':
      return `✖ registration needs action: ${statusReason ?? 'see Partner Center'}`;
    case 'passed':
      return '✔ registration passed validation';
    case 'approved':
      return '✔ registration approved';
    case 'failed':
      return `✖ registration failed: ${statusReason ?? 'see Partner Center'}`;
  }
}

/** The store's reason without the client's label: "…not eligible for registration: <reason>". */
function refusalReason(err: ValidationError): string {
  const m = /not eligible for registration: (.*)$/s.exec(err.message) ?? /: ([^:]+)$/.exec(err.message);
  return (m?.[1] ?? err.message).trim();
}

function fieldsFor(spec: RegistrationSection, o: Outcome): Record<string, unknown> {
  const wb = spec.writeBack;
  const view = 'view' in o ? o.view : null;
  const out: Record<string, unknown> = { [wb.status]: view?.status ?? null };
  if (wb.reason) out[wb.reason] = view?.statusReason ?? ('refusal' in o ? o.refusal : null);
  if (wb.actionRequired) out[wb.actionRequired] = view?.status === 'actionRequired';
  if (wb.line) out[wb.line.field] = registrationLine(o).slice(0, wb.line.maxLength);
  return out;
}

export async function syncRegistrations(deps: RegistrationStepDeps): Promise<RegistrationCounts> {
  const { spec, crm, log } = deps;
  const counts: RegistrationCounts = { flagged: 0, registered: 0, refused: 0, writtenBack: 0, issues: 0 };
  if (!crm.findFlagged) throw new Error(`${crm.kind} connector cannot list flagged records: deal registration is not available`);
  const wb = spec.writeBack;
  const read = [
    deps.referralIdField,
    wb.status,
    ...(wb.reason ? [wb.reason] : []),
    ...(wb.actionRequired ? [wb.actionRequired] : []),
    ...(wb.line ? [wb.line.field] : []),
    ...(spec.contractName ? [spec.contractName] : []),
    ...(spec.solution ? [spec.solution] : []),
  ];
  const records = await crm.findFlagged(spec.flag, [...new Set(read)]);
  const updates: CrmUpdate[] = [];
  const notes: Notification[] = [];
  for (const record of records) {
    if (record.deleted) continue;
    // A completed review is final: nothing more to read or write.
    const written = record.fields[wb.status];
    if (typeof written === 'string' && (written === 'approved' || written === 'failed')) continue;
    counts.flagged++;
    try {
      const outcome = await outcomeFor(deps, record, counts);
      const note = 'view' in outcome && outcome.view.status !== written ? reviewNotification(record, outcome.view) : null;
      if (note) notes.push(note);
      const fields = Object.fromEntries(Object.entries(fieldsFor(spec, outcome)).filter(([k, v]) => !sameValue(record.fields[k] ?? null, v ?? null)));
      if (Object.keys(fields).length) updates.push({ id: record.id, fields });
    } catch (err) {
      counts.issues++;
      log.warn('registration failed', { connection: deps.connection, crmId: record.id, error: describeError(err) });
    }
  }
  // Tasks first: if the write-back is then lost, the next run finds the status unchanged and the task already there.
  if (notes.length && deps.notify) await deps.notify(notes);
  if (updates.length) {
    const results = await crm.writeBack(updates);
    results.forEach((r, i) => {
      if (r.ok) counts.writtenBack++;
      else {
        counts.issues++;
        log.warn('registration write-back failed', { connection: deps.connection, crmId: updates[i]!.id, code: r.code, error: r.message });
      }
    });
  }
  if (counts.flagged) log.info('registrations synced', { connection: deps.connection, ...counts });
  return counts;
}

async function outcomeFor(deps: RegistrationStepDeps, record: CrmRecord, counts: RegistrationCounts): Promise<Outcome> {
  const referralId = record.fields[deps.referralIdField];
  if (typeof referralId !== 'string' || !referralId) return { refusal: 'the deal is not shared with Partner Center yet' };
  const current = await deps.referrals.read(referralId);
  if (!current) return { refusal: `referral ${referralId} was not found` };
  const existing = registrationViewSchema.safeParse((current.referral.registrations ?? [])[0]);
  const body = requestFor(deps.spec, record, current.referral);
  if (existing.success) {
    const view = existing.data;
    // Microsoft asked for action and the rep corrected the contract name in the CRM: that is the answer.
    if (view.status === 'actionRequired' && 'customerContractName' in body && deps.spec.contractName && body.customerContractName !== view.customerContractName) {
      deps.log.info('registration answered', { connection: deps.connection, crmId: record.id, registrationId: view.id });
      return { view: await deps.referrals.answerRegistration(referralId, view.id, { customerContractName: body.customerContractName }) };
    }
    return { view };
  }
  if ('refusal' in body) return body;
  const r = current.referral;
  if (r.substatus !== 'Won') {
    // Ticked before the deal was Won (the way on Dataverse): no call until it is; the domain says why (its
    // first reason, e.g. the deal type, which no later change can fix).
    counts.refused++;
    const verdict = r.dealType ? registrationEligibility({ type: r.dealType, incentives: INCENTIVE_PROGRAMS, substatus: r.substatus, microsoftAccepted: false }) : null;
    return { refusal: verdict && !verdict.eligible ? verdict.reason : 'the deal must be Won to be registered' };
  }
  try {
    const view = await deps.referrals.register(referralId, body);
    counts.registered++;
    deps.log.info('deal registered', { connection: deps.connection, crmId: record.id, referralId, registrationId: view.id, closed: isReviewClosed(view.status) });
    return { view };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    counts.refused++;
    return { refusal: refusalReason(err) };
  }
}

function requestFor(spec: RegistrationSection, record: CrmRecord, r: Referral): RegistrationRequest | { refusal: string } {
  const text = (field: string | undefined) => {
    const v = field ? record.fields[field] : undefined;
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const customerContractName = text(spec.contractName) ?? r.customerProfile?.name ?? undefined;
  const solutionId = text(spec.solution) ?? r.details?.requirements?.solutions?.[0]?.id;
  if (!customerContractName) return { refusal: "the customer's contract name is missing" };
  if (!solutionId) return { refusal: 'no solution on the deal' };
  return { customerContractName, solutionId };
}
