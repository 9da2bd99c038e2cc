/** What both sandboxes share: their self-signed certificates and keys, request stats (faults: runtime's one injector). */
export * from './certs.js';
export * from './stats.js';
