import { describe, expect, it } from 'vitest';
import { policyDecision } from '../../../src/referral-store/index.js';
import { createClock } from '../../../src/referral-store/clock.js';
import { etagMatches, stageEntries } from '../../../src/referral-store/model.js';

describe('Microsoft actor policy', () => {
  it('is a pure function of seed and referral id, honouring the accept rate', () => {
    expect(policyDecision(1, 'r1', 0.5)).toBe(policyDecision(1, 'r1', 0.5));
    expect(policyDecision(1, 'r1', 1)).toBe('accept');
    expect(policyDecision(1, 'r1', 0)).toBe('decline');
    const accepted = Array.from({ length: 1000 }, (_, i) => policyDecision(9, `r${i}`, 0.7)).filter((d) => d === 'accept').length;
    expect(accepted).toBeGreaterThan(640);
    expect(accepted).toBeLessThan(760);
  });
});

describe('store clock', () => {
  it('starts at the given instant, advances by days, and stamps strictly increasing', () => {
    const c = createClock(new Date('2026-01-01T00:00:00Z'));
    expect(c.now().getTime()).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
    c.advance(86_400_000);
    expect(c.now().toISOString() >= '2026-01-02T00:00:00.000Z').toBe(true);
    const stamps = Array.from({ length: 50 }, () => c.stamp());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
    c.observe('2030-01-01T00:00:00.000Z');
    expect(c.stamp()).toBe('2030-01-01T00:00:00.001Z');
  });
});

describe('ETag matching and stage entries', () => {
  it('If-Match accepts *, weak and unquoted forms, lists', () => {
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('a', '"a"')).toBe(true);
    expect(etagMatches('"b", "a"', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
  });

  it('records every skipped stage of a forward move, none for a backward one', () => {
    expect(stageEntries('Qualify', 'Won', 't').map((e) => e.salesStage)).toEqual(['Develop', 'Propose', 'Close']);
    expect(stageEntries('Propose', 'Develop', 't')).toEqual([]);
  });
});
