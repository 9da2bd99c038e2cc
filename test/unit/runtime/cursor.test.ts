/** The one pull-cursor codec (issue 16): the owner's schema, and anything foreign reads as "no cursor". */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonCursor } from '../../../src/runtime/index.js';

describe('jsonCursor', () => {
  const codec = jsonCursor(z.object({ ts: z.number(), ids: z.array(z.string()) }));

  it('round-trips a cursor', () => {
    const c = { ts: 1_700_000_000_000, ids: ['006A#3', '006B#1'] };
    expect(codec.decode(codec.encode(c))).toEqual(c);
  });

  it('reads no cursor, a corrupted one and one of another shape as null (a full pull), never throws', () => {
    expect(codec.decode(null)).toBeNull();
    expect(codec.decode('')).toBeNull();
    expect(codec.decode('{not json')).toBeNull();
    expect(codec.decode(JSON.stringify({ delta: 'https://x/opportunities?$deltatoken=1' }))).toBeNull();
    expect(codec.decode(JSON.stringify({ ts: 'yesterday', ids: [] }))).toBeNull();
  });
});
