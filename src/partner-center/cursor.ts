/** The incremental pull cursor: the highest `updatedDateTime` applied so far. Opaque to everyone else. */
import { z } from 'zod';

const cursorSchema = z.object({ hw: z.iso.datetime({ offset: true }) });
export type PullCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(c: PullCursor): string {
  return JSON.stringify(c);
}

/** A cursor from another version or a corrupted state reads as "no cursor": a full, reconciled pull. */
export function decodeCursor(text: string | null): PullCursor | null {
  if (!text) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** An OData DateTimeOffset literal (no quotes). */
export function filterLiteral(d: Date): string {
  return d.toISOString();
}
