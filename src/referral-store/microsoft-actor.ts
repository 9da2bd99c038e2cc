/**
 * The Microsoft actor: plays Microsoft's sellers. It answers each co-sell invitation `decisionDays` (store
 * clock) after it arrived, accepting with probability `acceptRate` — decided by a hash of the seed and the
 * referral id, so the same store data and seed always give the same answers whatever the order of ticks.
 */
import { createHash } from 'node:crypto';
import { MICROSOFT_ORG_ID } from '../domain/index.js';
import type { StoreClock } from './clock.js';
import { days } from './clock.js';
import type { Repository } from './repository.js';
import type { ReferralService } from './service.js';

export interface MicrosoftActorConfig {
  enabled: boolean;
  acceptRate: number;
  decisionDays: number;
  seed: number;
}

export const DEFAULT_ACTOR: MicrosoftActorConfig = { enabled: true, acceptRate: 0.7, decisionDays: 2, seed: 42 };

export function policyDecision(seed: number, referralId: string, acceptRate: number): 'accept' | 'decline' {
  const h = createHash('sha256').update(`${seed}:${referralId}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < acceptRate ? 'accept' : 'decline';
}

/** Decide every invitation whose decision time has come; returns how many were decided. */
export function runMicrosoftActor(repo: Repository, service: ReferralService, clock: StoreClock, config: MicrosoftActorConfig): number {
  if (!config.enabled) return 0;
  const cutoff = new Date(clock.latest().getTime() - days(config.decisionDays)).toISOString();
  const due = repo.openInvitations(MICROSOFT_ORG_ID, cutoff);
  for (const s of due) service.decideForMicrosoft(s, policyDecision(config.seed, s.referral.id, config.acceptRate));
  return due.length;
}
