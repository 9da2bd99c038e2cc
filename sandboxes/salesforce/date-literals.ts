/**
 * SOQL date literals as half-open UTC ranges [from, to), the way Salesforce evaluates them (weeks start on
 * Sunday, quarters are calendar quarters; the org's time zone is UTC in the sandbox).
 * `LAST_N_DAYS:n` includes today; `NEXT_N_DAYS:n` starts tomorrow; `N_DAYS_AGO:n` is that one day.
 */
export type DateRange = [from: number, to: number];

function dayStart(now: Date, offsetDays = 0): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offsetDays);
}
function weekStart(now: Date, offsetWeeks = 0): number {
  return dayStart(now, -now.getUTCDay() + 7 * offsetWeeks);
}
function monthStart(now: Date, offsetMonths = 0): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offsetMonths, 1);
}
function quarterStart(now: Date, offsetQuarters = 0): number {
  return Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3 + 3 * offsetQuarters, 1);
}
function yearStart(now: Date, offsetYears = 0): number {
  return Date.UTC(now.getUTCFullYear() + offsetYears, 0, 1);
}

const FIXED: Record<string, (now: Date) => DateRange> = {
  YESTERDAY: (n) => [dayStart(n, -1), dayStart(n)],
  TODAY: (n) => [dayStart(n), dayStart(n, 1)],
  TOMORROW: (n) => [dayStart(n, 1), dayStart(n, 2)],
  LAST_WEEK: (n) => [weekStart(n, -1), weekStart(n)],
  THIS_WEEK: (n) => [weekStart(n), weekStart(n, 1)],
  NEXT_WEEK: (n) => [weekStart(n, 1), weekStart(n, 2)],
  LAST_MONTH: (n) => [monthStart(n, -1), monthStart(n)],
  THIS_MONTH: (n) => [monthStart(n), monthStart(n, 1)],
  NEXT_MONTH: (n) => [monthStart(n, 1), monthStart(n, 2)],
  LAST_90_DAYS: (n) => [dayStart(n, -90), dayStart(n, 1)],
  NEXT_90_DAYS: (n) => [dayStart(n, 1), dayStart(n, 91)],
  LAST_QUARTER: (n) => [quarterStart(n, -1), quarterStart(n)],
  THIS_QUARTER: (n) => [quarterStart(n), quarterStart(n, 1)],
  NEXT_QUARTER: (n) => [quarterStart(n, 1), quarterStart(n, 2)],
  LAST_YEAR: (n) => [yearStart(n, -1), yearStart(n)],
  THIS_YEAR: (n) => [yearStart(n), yearStart(n, 1)],
  NEXT_YEAR: (n) => [yearStart(n, 1), yearStart(n, 2)],
};

const WITH_N: Record<string, (now: Date, k: number) => DateRange> = {
  LAST_N_DAYS: (n, k) => [dayStart(n, -k), dayStart(n, 1)],
  NEXT_N_DAYS: (n, k) => [dayStart(n, 1), dayStart(n, 1 + k)],
  N_DAYS_AGO: (n, k) => [dayStart(n, -k), dayStart(n, -k + 1)],
  LAST_N_WEEKS: (n, k) => [weekStart(n, -k), weekStart(n)],
  NEXT_N_WEEKS: (n, k) => [weekStart(n, 1), weekStart(n, 1 + k)],
  N_WEEKS_AGO: (n, k) => [weekStart(n, -k), weekStart(n, -k + 1)],
  LAST_N_MONTHS: (n, k) => [monthStart(n, -k), monthStart(n)],
  NEXT_N_MONTHS: (n, k) => [monthStart(n, 1), monthStart(n, 1 + k)],
  N_MONTHS_AGO: (n, k) => [monthStart(n, -k), monthStart(n, -k + 1)],
  LAST_N_QUARTERS: (n, k) => [quarterStart(n, -k), quarterStart(n)],
  NEXT_N_QUARTERS: (n, k) => [quarterStart(n, 1), quarterStart(n, 1 + k)],
  N_QUARTERS_AGO: (n, k) => [quarterStart(n, -k), quarterStart(n, -k + 1)],
  LAST_N_YEARS: (n, k) => [yearStart(n, -k), yearStart(n)],
  NEXT_N_YEARS: (n, k) => [yearStart(n, 1), yearStart(n, 1 + k)],
  N_YEARS_AGO: (n, k) => [yearStart(n, -k), yearStart(n, -k + 1)],
};

/** The range a literal stands for at `now`, or null when Salesforce has no such literal. */
export function dateLiteralRange(literal: string, now: Date): DateRange | null {
  const [name, arg] = literal.toUpperCase().split(':');
  if (arg === undefined) return FIXED[name!]?.(now) ?? null;
  const k = Number(arg);
  const f = WITH_N[name!];
  return f && Number.isInteger(k) && k >= 0 ? f(now, k) : null;
}
