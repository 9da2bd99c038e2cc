/** What both sandboxes share: fault injection, their self-signed certificates and keys, request stats. */
export * from './certs.js';
export * from './faults.js';
export * from './stats.js';
