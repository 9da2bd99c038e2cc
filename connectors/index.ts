export type * from './connector.js';
