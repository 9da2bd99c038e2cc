export * from './operations.js';
export * from './mappings.js';
export * from './referrals.js';
