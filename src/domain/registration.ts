/** Deal registration eligibility (cosell-rules §6). */
import type { DealType } from './deal-type.js';

/** Only IP incentives qualify. */
export const INCENTIVE_PROGRAMS = ['AzureIpCoSell', 'BusinessApplicationsPremier', 'BusinessApplicationsStandard'] as const;
export type IncentiveProgram = (typeof INCENTIVE_PROGRAMS)[number];

export interface RegistrationInput {
  type: DealType;
  /** Incentive programs of the deal's solutions (empty when none is incentive-eligible). */
  incentives: readonly string[];
  substatus: string | null | undefined;
  /** For co-sell: Microsoft accepted the invitation. */
  microsoftAccepted: boolean;
}

export type RegistrationVerdict = { eligible: true } | { eligible: false; reason: string };

export function registrationEligibility(d: RegistrationInput): RegistrationVerdict {
  if (d.type !== 'co-sell' && d.type !== 'partner-led') {
    return { eligible: false, reason: `only co-sell and partner-led deals can be registered (this one is ${d.type})` };
  }
  if (!d.incentives.some((i) => (INCENTIVE_PROGRAMS as readonly string[]).includes(i))) {
    return { eligible: false, reason: 'the deal has no incentive-eligible solution (Azure IP co-sell, Business Applications Premier or Standard)' };
  }
  if (d.substatus !== 'Won') return { eligible: false, reason: 'the deal must be Won to be registered' };
  // For co-sell the seed allows either Microsoft's acceptance or the deal being marked Won; Won is already required.
  return { eligible: true };
}

/** Hours the seed asks partners to leave between creating an eligible deal and marking it Won. */
export const REGISTRATION_MIN_HOURS_CREATE_TO_WON = 72;

export function wonTooSoonForRegistration(createdAt: Date, wonAt: Date): boolean {
  return wonAt.getTime() - createdAt.getTime() < REGISTRATION_MIN_HOURS_CREATE_TO_WON * 3_600_000;
}
