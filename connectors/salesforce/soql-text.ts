/** Writing SOQL safely: every value escaped, datetimes in SOQL's literal form, and the pull cursor. */
import { z } from 'zod';
import { jsonCursor } from '../../src/runtime/index.js';

/** A SOQL string literal: backslash, quotes and control characters escaped (`O'Brien's "Deal"` works). */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\f\b]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\b': '\\b' })[c]!);
  return `'${escaped}'`;
}

export function soqlDateTime(ms: number): string {
  return new Date(Math.max(0, ms)).toISOString();
}

/** Salesforce writes `2026-11-24T10:00:00.000+0000`. */
export function parseSfDateTime(s: string): number {
  return Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * The pull's keyset position (modstamp-cursor.ts): the last final SystemModstamp second read and, when the read
 * stopped inside it, the Id it stopped after. A cursor written before this form listed that second's `ids`
 * instead; it decodes as `{ ts }` and that one second is read again, which applying records tolerates.
 */
const sfCursor = jsonCursor(z.object({ ts: z.number(), after: z.string().optional() }));
export type SfCursor = NonNullable<ReturnType<typeof sfCursor.decode>>;
export const encodeSfCursor = sfCursor.encode;
export const decodeSfCursor = sfCursor.decode;
