/**
 * The SystemModstamp cursor of a pull, pure (no HTTP). The pull reads in (SystemModstamp, Id) order, and a
 * second is final once it lies before the cap ("now minus the lookback": a transaction can commit with a
 * SystemModstamp a little in the past). So the cursor is a keyset position — the last final second read and the
 * Id the read stopped after — and never passes the cap: what lies beyond it is read again on the next pull.
 * The position is two values however many records share a second: a bulk load stamps thousands at once, and a
 * cursor that listed them (as this one once did) grew with every page of it.
 */
import type { SfCursor } from './soql-text.js';
import { soqlDateTime, soqlString } from './soql-text.js';

/** The cap: the start of the second `lookbackMs` before `now`; every second before it is final. */
export const capOf = (now: number, lookbackMs: number): number => Math.floor((now - lookbackMs) / 1000) * 1000;

/** The position after a record read in order: only a record of a final second moves it. */
export const advance = (pos: SfCursor | null, id: string, stamp: number, cap: number): SfCursor | null => (stamp < cap ? { ts: stamp, after: id } : pos);

/**
 * A complete read has seen every final second: the cursor moves up to the cap, so idle pulls re-read only the
 * lookback window. A position already at or past the cap (a longer lookback than the one that wrote it) stays.
 */
export const completed = (pos: SfCursor | null, cap: number): SfCursor => (pos && pos.ts >= cap ? pos : { ts: cap });

/**
 * The SOQL conditions that resume strictly after a cursor. The first is the plain SystemModstamp floor (an
 * indexed range); the Id comparison is Salesforce's own, the one its ORDER BY Id follows (PK chunking pages on it
 * too), so no client-side ordering of Ids is assumed.
 */
export function resumeAfter(c: SfCursor): string[] {
  const from = soqlDateTime(c.ts);
  const floor = `SystemModstamp >= ${from}`;
  return c.after === undefined ? [floor] : [floor, `(SystemModstamp > ${from} OR Id > ${soqlString(c.after)})`];
}
