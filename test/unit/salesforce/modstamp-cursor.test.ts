/** The SystemModstamp keyset cursor, without HTTP: ties at one second, the cap, a complete read, resuming. */
import { describe, expect, it } from 'vitest';
import { advance, capOf, completed, resumeAfter } from '../../../connectors/salesforce/modstamp-cursor.js';
import { decodeSfCursor, encodeSfCursor } from '../../../connectors/salesforce/soql-text.js';

const S = 1_000;
const CAP = 100 * S;

describe('the modstamp cursor', () => {
  it('is the last final second read and the Id the read stopped after, however many records share that second', () => {
    let pos = advance(null, '006A', 50 * S, CAP);
    for (let i = 0; i < 20_000; i++) pos = advance(pos, `006B${i}`, 60 * S, CAP);
    expect(pos).toEqual({ ts: 60 * S, after: '006B19999' });
    expect(encodeSfCursor(pos!).length).toBeLessThan(40);
  });

  it('never moves past the cap: records from the cap on are read, the position stays at the last final one', () => {
    const pos = advance(advance(null, 'a', CAP - S, CAP), 'b', CAP, CAP);
    expect(advance(pos, 'c', CAP + 5 * S, CAP)).toEqual({ ts: CAP - S, after: 'a' });
    expect(advance(null, 'b', CAP, CAP)).toBeNull();
  });

  it('after a complete read moves up to the cap with no Id (idle pulls re-read only the lookback window)', () => {
    expect(completed({ ts: 40 * S, after: 'a' }, CAP)).toEqual({ ts: CAP });
    expect(completed(null, CAP)).toEqual({ ts: CAP });
    // A position past the cap (written under a longer lookback) does not move back.
    expect(completed({ ts: CAP + 30 * S, after: 'z' }, CAP)).toEqual({ ts: CAP + 30 * S, after: 'z' });
  });

  it('resumes strictly after the position, the second floor first (an indexed range) and the Id escaped', () => {
    expect(resumeAfter({ ts: 60 * S })).toEqual(['SystemModstamp >= 1970-01-01T00:01:00.000Z']);
    expect(resumeAfter({ ts: 60 * S, after: "006'x" })).toEqual(['SystemModstamp >= 1970-01-01T00:01:00.000Z', "(SystemModstamp > 1970-01-01T00:01:00.000Z OR Id > '006\\'x')"]);
  });

  it('reads a cursor of the earlier form (the ids of its second) as that second, read again', () => {
    expect(decodeSfCursor(JSON.stringify({ ts: 60 * S, ids: ['b#1', 'c#1'] }))).toEqual({ ts: 60 * S });
  });
});

describe('capOf', () => {
  it('is the start of the second `lookback` before now', () => {
    expect(capOf(Date.UTC(2026, 0, 1, 10, 0, 10, 750), 10_000)).toBe(Date.UTC(2026, 0, 1, 10, 0, 0));
  });
});
