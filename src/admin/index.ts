export * from './operations.js';
export * from './mappings.js';
export * from './referrals.js';
export * from './records.js';
export * from './compare.js';
