/**
 * Linking new records to their related records (the customer's account, the currency): each distinct
 * (relationship, key) is resolved once per call, however many records share it.
 */
import type { CrmCreate } from '../index.js';

/**
 * `link(rel, key, values)` finds or creates the related record and returns the fields that point the new record
 * at it (`{ AccountId }`, `{ 'parentaccountid@odata.bind' }`), or none. `keyField(rel)` names the field a
 * relationship is matched by; relationships without one, or without a value for it, are left alone.
 */
export async function linkRelated(
  records: CrmCreate[],
  keyField: (rel: string) => string | undefined,
  link: (rel: string, key: string, values: Record<string, unknown>) => Promise<Record<string, unknown>>,
): Promise<CrmCreate[]> {
  const known = new Map<string, Promise<Record<string, unknown>>>();
  const out: CrmCreate[] = [];
  for (const r of records) {
    const fields = { ...r.fields };
    for (const [rel, values] of Object.entries(r.related ?? {})) {
      const field = keyField(rel);
      const key = field ? values[field] : undefined;
      if (typeof key !== 'string' || key.trim() === '') continue;
      let linked = known.get(`${rel}:${key}`);
      if (!linked) known.set(`${rel}:${key}`, (linked = link(rel, key, values)));
      Object.assign(fields, await linked);
    }
    out.push({ ref: r.ref, fields });
  }
  return out;
}
