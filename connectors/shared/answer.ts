/**
 * Every CRM answer is parsed at the boundary with zod, as the referrals client does: a body of the wrong shape
 * (an HTML error page, a truncated or changed answer) is a RemoteError naming the call, never a cast that fails
 * later somewhere else.
 */
import { z } from 'zod';
import { RemoteError } from '../../src/runtime/index.js';

export function parseAnswer<S extends z.ZodType>(crm: string, label: string, schema: S, value: unknown, status?: number): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const what =
    typeof value === 'string'
      ? `text: ${value.slice(0, 60)}`
      : parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
  throw new RemoteError(`${crm} ${label}: unexpected response (${what})`, status);
}

/**
 * One record of a query answer: an object, taken as it is. A record's fields are checked where they are read
 * (the connector's id and stamp, the mapping's fields); `z.record` would copy every record of a page of 2,000
 * only to say each is an object — a page held twice in memory and the copying's CPU.
 */
export const answerRow = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a record (an object)');

/** A field every record of an answer carries as text (its id, its stamp): a record without one is a broken answer. */
export function textOf(crm: string, row: Record<string, unknown>, field: string): string {
  const v = row[field];
  if (typeof v !== 'string' || !v) throw new RemoteError(`${crm}: unexpected response (a record without ${field}: ${JSON.stringify(v) ?? 'undefined'})`);
  return v;
}
