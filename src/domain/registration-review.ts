/**
 * The deal-registration review (cosell-rules §6): its states, the moves between them, what a partner must send
 * to register, and Microsoft's contract check. Pure: the store decides when each move happens.
 */
import { z } from 'zod';
import { INCENTIVE_PROGRAMS } from './registration.js';

/** pending → actionRequired → passed | failed → approved; actionRequired goes back to pending on the partner's answer. */
export const REVIEW_STATUSES = ['pending', 'actionRequired', 'passed', 'failed', 'approved'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

const NEXT: Record<ReviewStatus, readonly ReviewStatus[]> = {
  pending: ['actionRequired', 'passed', 'failed'],
  actionRequired: ['pending', 'failed'],
  passed: ['approved'],
  failed: [],
  approved: [],
};

export type ReviewMove = { ok: true } | { ok: false; reason: string };

export function canMoveRegistration(from: ReviewStatus, to: ReviewStatus): ReviewMove {
  if (NEXT[from].includes(to)) return { ok: true };
  if (isReviewClosed(from)) return { ok: false, reason: `the registration is ${from}: its review is complete` };
  return { ok: false, reason: `a registration cannot move from ${from} to ${to} (next: ${NEXT[from].join(', ')})` };
}

/** Validation is complete: the registration (and the deal's registration milestone) is closed. */
export const isReviewClosed = (s: ReviewStatus) => s === 'approved' || s === 'failed';

/** What the partner sends to register a deal: the name on the customer's contract and the eligible solution. */
export const registrationRequestSchema = z.strictObject({
  customerContractName: z.string().trim().min(1, 'the customer name exactly as on the signed contract is required').max(250),
  solutionId: z.string().trim().min(1, "the id of the deal's incentive-eligible solution on the contract is required"),
  notes: z.string().max(2000).optional(),
});
export type RegistrationRequest = z.infer<typeof registrationRequestSchema>;

/** The partner's answer to "action required": a corrected contract name and/or a note. */
export const registrationResponseSchema = z
  .strictObject({ customerContractName: z.string().trim().min(1).max(250).optional(), notes: z.string().trim().min(1).max(2000).optional() })
  .refine((b) => b.customerContractName !== undefined || b.notes !== undefined, { error: 'send customerContractName and/or notes', path: ['notes'] });
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;

export const incentiveProgramSchema = z.enum(INCENTIVE_PROGRAMS);

const LEGAL_SUFFIX = /\b(inc|incorporated|ltd|limited|llc|corp|corporation|co|company|gmbh|bv|nv|sa|ag|plc)\b/g;
const normName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ')
    .replace(LEGAL_SUFFIX, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Microsoft's first check: the company name on the contract must be the deal's customer (legal suffixes and
 * punctuation aside). A mismatch asks the partner for action rather than failing outright.
 */
export function contractNameMatches(contractName: string, customerName: string | null | undefined): boolean {
  const c = normName(contractName);
  const n = normName(customerName ?? '');
  return n.length > 0 && (c === n || c.includes(n));
}

/** A registration as the API returns it (the fields a client acts on; others are kept). */
export const registrationViewSchema = z.looseObject({
  id: z.string(),
  referralId: z.string(),
  status: z.enum(REVIEW_STATUSES),
  statusReason: z.string().nullish(),
  customerContractName: z.string().nullish(),
  warnings: z.array(z.looseObject({ code: z.string(), message: z.string() })).default([]),
  history: z.array(z.unknown()).default([]),
});
export type RegistrationView = z.infer<typeof registrationViewSchema>;
