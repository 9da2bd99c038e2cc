export * from './operations.js';
export * from './mappings.js';
