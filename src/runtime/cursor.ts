/**
 * Pull cursors are JSON text in the sync state, opaque to everyone but their owner. One codec for all of them:
 * the owner gives the schema; a cursor from another version or a corrupted state decodes as "no cursor" (a full,
 * reconciled pull), never as an error that stops the sync.
 */
import type { z } from 'zod';

export interface CursorCodec<T> {
  encode(cursor: T): string;
  decode(text: string | null): T | null;
}

export function jsonCursor<S extends z.ZodType>(schema: S): CursorCodec<z.infer<S>> {
  return {
    encode: (cursor) => JSON.stringify(cursor),
    decode(text) {
      if (!text) return null;
      try {
        const parsed = schema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
  };
}
