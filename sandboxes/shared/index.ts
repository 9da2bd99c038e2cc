/** What both sandboxes share: fault injection. */
export * from './faults.js';
