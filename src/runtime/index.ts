export * from './errors.js';
export * from './config.js';
export * from './secrets.js';
export * from './redact.js';
export * from './logger.js';
export * from './yaml-file.js';
export * from './lane.js';
export * from './scheduler.js';
