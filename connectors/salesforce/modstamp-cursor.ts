/**
 * The SystemModstamp cursor of a pull, pure (no HTTP): the last second applied and the records (`id#version`)
 * already applied at exactly that second, since ties are normal at second precision. A transaction can commit
 * with a SystemModstamp a little in the past, so the cursor never moves past the cap ("now minus the
 * lookback"): such late writes are read on the next pull, and what was already applied is skipped.
 */
import type { SfCursor } from './soql-text.js';

/** The cap: the start of the second `lookbackMs` before `now`. */
export const capOf = (now: number, lookbackMs: number): number => Math.floor((now - lookbackMs) / 1000) * 1000;

export class ModstampWindow {
  private ts: number;
  private idsAtTs: Set<string>;
  private readonly idsAtCap: Set<string>;
  private readonly boundary: Set<string>;
  /** Past the cap, the checkpoint stays at the cap (or an older cursor beyond it) with the ids seen there. */
  private readonly held: number;

  constructor(
    private readonly start: SfCursor | null,
    private readonly cap: number,
  ) {
    this.ts = start?.ts ?? 0;
    this.idsAtTs = new Set(start?.ids ?? []);
    this.idsAtCap = new Set(start?.ts === cap ? start.ids : []);
    this.boundary = new Set(start?.ids ?? []);
    this.held = Math.max(cap, start?.ts ?? 0);
  }

  /** Take a record read in SystemModstamp order; false when the last checkpoint already covered it (same second, id and content). */
  admit(key: string, stamp: number): boolean {
    if (this.start && stamp === this.start.ts && this.boundary.has(key)) return false;
    if (stamp > this.ts) {
      this.ts = stamp;
      this.idsAtTs = new Set();
    }
    this.idsAtTs.add(key);
    if (stamp === this.cap) this.idsAtCap.add(key);
    return true;
  }

  /**
   * The read was complete: every second before the cap is complete too (no commit can still land there), so the
   * cursor moves up to the cap and idle pulls re-read only the lookback window, not the last busy second.
   */
  completed(): void {
    if (this.ts < this.cap) {
      this.ts = this.cap;
      this.idsAtTs = new Set();
    }
  }

  cursor(): SfCursor {
    if (this.ts > this.cap) return { ts: this.held, ids: [...(this.held === this.cap ? this.idsAtCap : this.idsAtTs)] };
    return { ts: this.ts, ids: [...this.idsAtTs] };
  }
}
