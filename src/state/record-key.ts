/**
 * A record's key in record issues and the retry queue: the side it was read from and its id there
 * (`crm:<id>`, `referral:<id>`). Encoded and decoded here only, never by slicing strings elsewhere.
 */
export type RecordSide = 'crm' | 'referral';
export type RecordKey = `${RecordSide}:${string}`;

export const recordKey = (side: RecordSide, id: string): RecordKey => `${side}:${id}`;

// Retry keys of pending creates from older versions read as the side the record comes from.
const PREFIXES: readonly (readonly [string, RecordSide])[] = [
  ['crm:', 'crm'],
  ['referral:', 'referral'],
  ['create-referral:', 'crm'],
  ['create-crm:', 'referral'],
];

export function decodeRecordKey(key: string): { side: RecordSide; id: string } | null {
  for (const [prefix, side] of PREFIXES) if (key.startsWith(prefix)) return { side, id: key.slice(prefix.length) };
  return null;
}
