/** API keys: random, shown once, stored only as sha256 hashes. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
export const generateKey = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

/** The bearer token of an `Authorization` header, or null. */
export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
