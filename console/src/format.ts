/** Words and numbers as a person reads them. */
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

export function ago(seconds: number | null): string {
  if (seconds === null) return 'never synced';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export const money = (value: number | null | undefined, currency: string | null | undefined) =>
  value === null || value === undefined ? '—' : new Intl.NumberFormat('en-US', { style: 'currency', currency: currency || 'USD', maximumFractionDigits: 0 }).format(value);

/** Whole days from now until `iso` (0 on the last day, negative once past). */
export const daysLeft = (iso: string | null | undefined, now = Date.now()) => (iso ? Math.floor((Date.parse(iso) - now) / 86_400_000) : null);

/** A deal field value as text (people, lists and objects included). */
export function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.map(show).join('; ') : '—';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('firstName' in o || 'lastName' in o) return [o.firstName, o.lastName].filter(Boolean).join(' ') + (o.email ? ` <${String(o.email)}>` : '');
    return (
      Object.entries(o)
        .filter(([, x]) => x !== null && x !== undefined && x !== '')
        .map(([k, x]) => `${k}: ${show(x)}`)
        .join(', ') || '—'
    );
  }
  return String(v);
}
