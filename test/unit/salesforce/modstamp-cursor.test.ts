/** The SystemModstamp cursor, without HTTP: ties at one second, the checkpoint boundary, the lookback cap. */
import { describe, expect, it } from 'vitest';
import { capOf, ModstampWindow } from '../../../connectors/salesforce/modstamp-cursor.js';

const S = 1_000;
const CAP = 100 * S;

describe('ModstampWindow', () => {
  it('keeps every record applied at the last second (ties are normal at second precision)', () => {
    const w = new ModstampWindow(null, CAP);
    expect([w.admit('a#1', 50 * S), w.admit('b#1', 60 * S), w.admit('c#1', 60 * S)]).toEqual([true, true, true]);
    expect(w.cursor()).toEqual({ ts: 60 * S, ids: ['b#1', 'c#1'] });
  });

  it('skips what the last checkpoint covered (same second, id and content), but not a new write in that second', () => {
    const w = new ModstampWindow({ ts: 60 * S, ids: ['b#1'] }, CAP);
    expect(w.admit('b#1', 60 * S)).toBe(false);
    expect(w.admit('b#2', 60 * S)).toBe(true);
    expect(w.admit('d#1', 70 * S)).toBe(true);
    expect(w.cursor()).toEqual({ ts: 70 * S, ids: ['d#1'] });
  });

  it('never moves past the cap: records beyond it are read, the checkpoint holds at the cap with the ids seen there', () => {
    const w = new ModstampWindow(null, CAP);
    w.admit('a#1', CAP);
    w.admit('b#1', CAP + 5 * S);
    expect(w.cursor()).toEqual({ ts: CAP, ids: ['a#1'] });
  });

  it('after a complete read moves up to the cap (idle pulls re-read only the lookback window)', () => {
    const w = new ModstampWindow({ ts: 40 * S, ids: ['a#1'] }, CAP);
    w.admit('b#1', 50 * S);
    w.completed();
    expect(w.cursor()).toEqual({ ts: CAP, ids: [] });
  });

  it('an older cursor beyond the cap does not move further; the next pull re-reads from it (at least once, nothing skipped)', () => {
    const w = new ModstampWindow({ ts: CAP + 30 * S, ids: ['z#1'] }, CAP);
    w.admit('y#1', CAP + 40 * S);
    // The ids are the newest second's; the boundary of the next pull (at ts) matches none of them, so it skips nothing.
    expect(w.cursor()).toEqual({ ts: CAP + 30 * S, ids: ['y#1'] });
  });
});

describe('capOf', () => {
  it('is the start of the second `lookback` before now', () => {
    expect(capOf(Date.UTC(2026, 0, 1, 10, 0, 10, 750), 10_000)).toBe(Date.UTC(2026, 0, 1, 10, 0, 0));
  });
});
