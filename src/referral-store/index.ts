/** The embedded referral store: a Partner Center Referrals-compatible REST service over SQLite. */
export { startReferralStore, seedReferralStore } from './store.js';
export type { ReferralStoreHandle, ReferralStoreOptions, KeySource } from './store.js';
export type { MicrosoftActorConfig } from './microsoft-actor.js';
export { policyDecision } from './microsoft-actor.js';
/** The store's schema migrations, for tools that open a store file directly (the benchmark's baseline). */
export { migrate as migrateStoreDatabase } from './migrations.js';
