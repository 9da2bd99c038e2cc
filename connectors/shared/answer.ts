/**
 * Every CRM answer is parsed at the boundary with zod, as the referrals client does: a body of the wrong shape
 * (an HTML error page, a truncated or changed answer) is a RemoteError naming the call, never a cast that fails
 * later somewhere else.
 */
import type { z } from 'zod';
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
