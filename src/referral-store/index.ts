/** The embedded referral store: a Partner Center Referrals-compatible REST service over SQLite. */
export { startReferralStore, seedReferralStore } from './store.js';
export type { ReferralStoreHandle, ReferralStoreOptions, KeySource } from './store.js';
export type { FaultConfig, FaultInput } from './faults.js';
export type { MicrosoftActorConfig } from './microsoft-actor.js';
export { policyDecision } from './microsoft-actor.js';
