/**
 * Create-time validation of a deal (cosell-rules §3). Returns every problem at once, each with the path of the
 * field in the referral resource, so an API client or a CRM status line can say exactly what to fix.
 */
// The library without its names: only the codes are checked here. The package's main entry registers every
// language's country names (≈ 80 JSON files, ~8 MB of RSS in each process that validates a deal).
import countries from 'i18n-iso-countries/index.js';
import type { Member, ReferralCreate, Solution } from './referral.js';
import { MICROSOFT_ORG_ID } from './referral.js';

export interface Issue {
  path: string;
  message: string;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** A plausible close date (year 0000 or 9999 is a placeholder or a typo, not a deal). */
const CLOSE_YEARS = [1900, 2999] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ()./-]{5,}$/;

export function isIsoCountry(code: string | null | undefined): boolean {
  return typeof code === 'string' && /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}
export function isIsoCurrency(code: string | null | undefined): boolean {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}
export function isEmail(v: string | null | undefined): boolean {
  return typeof v === 'string' && EMAIL.test(v);
}
export function isPhone(v: string | null | undefined): boolean {
  return typeof v === 'string' && PHONE.test(v.trim());
}

export function isSolutionAssessment(s: Pick<Solution, 'type' | 'solutionType'>): boolean {
  return s.type === 'SolutionAssessment' || s.solutionType === 'SolutionAssessment';
}

/** A team member is complete with first and last name, a phone number and a valid e-mail address. */
export function memberIssues(m: Member, path: string): Issue[] {
  const out: Issue[] = [];
  if (!m.firstName?.trim()) out.push({ path: `${path}.firstName`, message: 'first name is required' });
  if (!m.lastName?.trim()) out.push({ path: `${path}.lastName`, message: 'last name is required' });
  if (!m.phoneNumber?.trim()) out.push({ path: `${path}.phoneNumber`, message: 'phone number is required' });
  else if (!isPhone(m.phoneNumber)) out.push({ path: `${path}.phoneNumber`, message: `'${m.phoneNumber}' is not a phone number` });
  if (!m.email?.trim()) out.push({ path: `${path}.email`, message: 'e-mail address is required' });
  else if (!isEmail(m.email)) out.push({ path: `${path}.email`, message: `'${m.email}' is not an e-mail address` });
  return out;
}

export interface CreateContext {
  /** Microsoft sellers are being invited (co-sell): the customer contact becomes required. */
  microsoftInvited: boolean;
  /** The organization is vetted for solution assessments. */
  solutionAssessmentAllowed?: boolean;
}

/** Checks on values that must hold whenever they are present (at create and after every update). */
export function fieldIssues(r: Partial<ReferralCreate>): Issue[] {
  const out: Issue[] = [];
  const d = r.details;
  if (d?.dealValue != null && !(d.dealValue > 0)) out.push({ path: 'details.dealValue', message: 'estimated value must be greater than 0' });
  // Beyond 2^53 a JSON number is already rounded: refuse rather than store another value than was sent.
  else if (d?.dealValue != null && d.dealValue > Number.MAX_SAFE_INTEGER) {
    out.push({ path: 'details.dealValue', message: `estimated value must be at most ${Number.MAX_SAFE_INTEGER}` });
  }
  const year = d?.closingDateTime ? new Date(d.closingDateTime).getUTCFullYear() : null;
  if (year !== null && !(year >= CLOSE_YEARS[0] && year <= CLOSE_YEARS[1])) {
    out.push({ path: 'details.closingDateTime', message: `estimated close date must be between the years ${CLOSE_YEARS[0]} and ${CLOSE_YEARS[1]}` });
  }
  if (d?.currency != null && !isIsoCurrency(d.currency)) {
    out.push({ path: 'details.currency', message: `'${d.currency}' is not an ISO 4217 currency code (e.g. USD, EUR)` });
  }
  const country = r.customerProfile?.address?.country;
  if (country != null && !isIsoCountry(country)) {
    out.push({ path: 'customerProfile.address.country', message: `'${country}' is not an ISO 3166 two-letter country code (e.g. US, NL)` });
  }
  r.team?.forEach((m, i) => {
    if (m.email && !isEmail(m.email)) out.push({ path: `team[${i}].email`, message: `'${m.email}' is not an e-mail address` });
  });
  return out;
}

export function validateCreate(r: ReferralCreate, ctx: CreateContext): Issue[] {
  const out: Issue[] = [];
  if (!r.name?.trim()) out.push({ path: 'name', message: 'deal name is required' });
  const cp = r.customerProfile;
  if (!cp?.name?.trim()) out.push({ path: 'customerProfile.name', message: 'customer name is required' });
  if (!cp?.address?.country) out.push({ path: 'customerProfile.address.country', message: 'customer location (ISO country code) is required' });

  const d = r.details;
  if (d?.dealValue == null) out.push({ path: 'details.dealValue', message: 'estimated value is required' });
  if (!d?.currency) out.push({ path: 'details.currency', message: 'currency is required' });
  if (!d?.closingDateTime) out.push({ path: 'details.closingDateTime', message: 'estimated close date is required' });
  out.push(...fieldIssues(r));

  const team = r.team ?? [];
  if (team.length === 0) out.push({ path: 'team', message: 'at least one team member with first and last name, phone and e-mail is required' });
  else if (!team.some((m) => memberIssues(m, 'team').length === 0)) {
    out.push(...memberIssues(team[0]!, 'team[0]'));
  }

  const solutions = d?.requirements?.solutions ?? [];
  if (solutions.length === 0) out.push({ path: 'details.requirements.solutions', message: 'at least one solution is required' });
  const assessments = solutions.filter(isSolutionAssessment);
  if (assessments.length > 0) {
    if (!ctx.solutionAssessmentAllowed) {
      out.push({ path: 'details.requirements.solutions', message: 'only partners vetted for solution assessments can create one' });
    }
    if (assessments.length > 1 || solutions.length > 1) {
      out.push({
        path: 'details.requirements.solutions',
        message: 'a solution assessment takes exactly one assessment type and no other solutions',
      });
    }
  }

  const contacts = cp?.team ?? [];
  if (ctx.microsoftInvited) {
    if (contacts.length === 0) {
      out.push({ path: 'customerProfile.team', message: 'a customer contact (name, phone, e-mail) is required when Microsoft sellers are invited' });
    } else {
      contacts.forEach((c, i) => out.push(...memberIssues(c, `customerProfile.team[${i}]`)));
    }
  }
  const sharesWithMicrosoft = ctx.microsoftInvited || r.consent?.consentToShareReferralWithMicrosoftSellers === true;
  if (sharesWithMicrosoft && contacts.length > 0 && r.consent?.consentToShareInfoWithOthers !== true) {
    out.push({
      path: 'consent.consentToShareInfoWithOthers',
      message: "the customer's consent is required to share their contact details with Microsoft",
    });
  }
  return out;
}

/** Does the create body invite Microsoft (a shared referral, a help request, or a target of `msft`)? */
export function invitesMicrosoft(r: Partial<ReferralCreate>): boolean {
  const help = r.inviteContext?.assistanceRequestCode;
  return r.type === 'Shared' || help != null || (r.target ?? []).some((t) => t.id === MICROSOFT_ORG_ID);
}
