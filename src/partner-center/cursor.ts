/** The incremental pull cursor: the highest `updatedDateTime` applied so far. Opaque to everyone else. */
import { z } from 'zod';
import { jsonCursor } from '../runtime/index.js';

const pullCursor = jsonCursor(z.object({ hw: z.iso.datetime({ offset: true }) }));
export type PullCursor = NonNullable<ReturnType<typeof pullCursor.decode>>;
export const encodeCursor = pullCursor.encode;
export const decodeCursor = pullCursor.decode;

/** An OData DateTimeOffset literal (no quotes). */
export function filterLiteral(d: Date): string {
  return d.toISOString();
}
