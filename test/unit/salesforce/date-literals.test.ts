import { describe, expect, it } from 'vitest';
import { dateLiteralRange } from '../../../sandboxes/salesforce/date-literals.js';

// Thursday 2026-12-03 15:30 UTC
const now = new Date(Date.UTC(2026, 11, 3, 15, 30));
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

describe('SOQL date literals (sandbox)', () => {
  it('fixed literals: days, Sunday-based weeks, months, quarters, years', () => {
    expect(dateLiteralRange('TODAY', now)).toEqual([day(2026, 12, 3), day(2026, 12, 4)]);
    expect(dateLiteralRange('yesterday', now)).toEqual([day(2026, 12, 2), day(2026, 12, 3)]);
    expect(dateLiteralRange('THIS_WEEK', now)).toEqual([day(2026, 11, 29), day(2026, 12, 6)]);
    expect(dateLiteralRange('LAST_MONTH', now)).toEqual([day(2026, 11, 1), day(2026, 12, 1)]);
    expect(dateLiteralRange('THIS_QUARTER', now)).toEqual([day(2026, 10, 1), day(2027, 1, 1)]);
    expect(dateLiteralRange('NEXT_YEAR', now)).toEqual([day(2027, 1, 1), day(2028, 1, 1)]);
  });
  it('LAST_N_DAYS includes today, NEXT_N_DAYS starts tomorrow, N_DAYS_AGO is one day', () => {
    expect(dateLiteralRange('LAST_N_DAYS:7', now)).toEqual([day(2026, 11, 26), day(2026, 12, 4)]);
    expect(dateLiteralRange('NEXT_N_DAYS:2', now)).toEqual([day(2026, 12, 4), day(2026, 12, 6)]);
    expect(dateLiteralRange('N_DAYS_AGO:3', now)).toEqual([day(2026, 11, 30), day(2026, 12, 1)]);
    expect(dateLiteralRange('LAST_N_MONTHS:2', now)).toEqual([day(2026, 10, 1), day(2026, 12, 1)]);
  });
  it('unknown literals and bad counts are refused', () => {
    expect(dateLiteralRange('LAST_FORTNIGHT', now)).toBeNull();
    expect(dateLiteralRange('LAST_N_DAYS:x', now)).toBeNull();
    expect(dateLiteralRange('LAST_N_DAYS:-1', now)).toBeNull();
  });
});
