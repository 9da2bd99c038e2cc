/** The co-sell domain: pure rules, no I/O. Everything else speaks these types. */
export * from './stages.js';
export * from './lifecycle.js';
export * from './referral.js';
export * from './deal-fields.js';
export * from './deal-type.js';
export * from './invitations.js';
export * from './registration.js';
export * from './windows.js';
export * from './validation.js';
export * from './can-update.js';
export * from './canonical.js';
export * from './registration-review.js';
export * from './webhook-signature.js';
