/**
 * The referral views an admin works from (as in Partner Center: inbound, outbound, favorites, closed), paged by
 * the API itself, and the favorite toggle. The page token is the API's next link, opaque to the caller.
 */
import type { Referral } from '../domain/index.js';
import type { ReferralsClient } from '../partner-center/index.js';
import { NotFoundError, ValidationError } from '../runtime/index.js';

export const REFERRAL_VIEWS = {
  inbound: "direction eq 'Incoming' and status ne 'Closed'",
  outbound: "direction eq 'Outgoing' and status ne 'Closed'",
  favorites: 'favorite eq true',
  closed: "status eq 'Closed'",
} as const;
export type ReferralView = keyof typeof REFERRAL_VIEWS;

type Client = Pick<ReferralsClient, 'listPage' | 'read' | 'patch'>;

const decodeToken = (token: string) => {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text) throw new ValidationError('invalid page token', [{ path: 'next', message: 'expected a token from a previous page' }]);
  return text;
};

export async function referralView(client: Client, view: ReferralView, page: { top: number; next?: string | undefined }): Promise<{ items: Referral[]; next: string | null }> {
  const r = await client.listPage({ filter: REFERRAL_VIEWS[view], top: page.top, next: page.next ? decodeToken(page.next) : null });
  return { items: r.referrals, next: r.next ? Buffer.from(r.next, 'utf8').toString('base64url') : null };
}

export async function setFavorite(client: Client, id: string, favorite: boolean): Promise<Referral> {
  const current = await client.read(id);
  if (!current) throw new NotFoundError(`no referral ${id}`);
  return (await client.patch(id, [{ op: 'replace', path: '/favorite', value: favorite }], current.etag)).referral;
}
