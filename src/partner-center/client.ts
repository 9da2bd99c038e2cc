/**
 * The referrals API client: one client for Partner Center and the embedded store. Every call goes through one
 * rate lane per base URL; creates are made idempotent by looking the deal up by `externalReferenceId` before
 * any retry; the incremental pull walks `updatedDateTime` with an overlap window.
 */
import {
  MICROSOFT_ORG_ID,
  referralListSchema,
  referralSchema,
  toWireConsent,
  type HelpType,
  type PatchOp,
  type Referral,
  registrationViewSchema,
  type ReferralCreate,
  type RegistrationRequest,
  type RegistrationResponse,
  type RegistrationView,
} from '../domain/index.js';
import {
  AlreadyCreatedError,
  createLane,
  RateLimitedError,
  RemoteError,
  TransportError,
  ValidationError,
  silentLogger,
  type Lane,
  type Logger,
  type RateConfig,
} from '../runtime/index.js';
import type { TokenProvider } from './auth.js';
import { decodeCursor, encodeCursor, filterLiteral, type PullCursor } from './cursor.js';
import { createHttpClient, type HttpClient, type HttpResult } from './http.js';

export interface ReferralWithEtag {
  referral: Referral;
  etag: string | null;
}

export interface ReferralPage {
  referrals: Referral[];
  /** Cursor to store once this page is applied; null = keep the stored one (mid-walk of a newest-first pull). */
  cursor: string | null;
  /** Items that did not parse as referrals, with why; they are skipped, not fatal. */
  rejected: { id: string | null; problem: string }[];
}

export interface ReferralsClientOptions {
  /** e.g. https://api.partner.microsoft.com/v1.0/engagements */
  baseUrl: string;
  auth: TokenProvider;
  rate: RateConfig;
  log?: Logger;
  incremental?: { mode: 'auto' | 'filter' | 'orderby'; overlapSeconds: number };
  /** Link shown to reps; `{id}` is replaced. Default: the Partner Center dashboard. */
  linkTemplate?: string;
  pageSize?: number;
  correlationId?: string;
}

export interface InviteDetails {
  helpType?: HelpType;
  notes?: string;
  /** P2P: the invitation's own details (the invitee may edit them later, the inviter may not). */
  closingDateTime?: string;
  dealValue?: number;
  currency?: string;
  team?: Referral['team'];
  solutions?: { id: string }[];
}

export interface ReferralsClient {
  pull(cursor: string | null): AsyncIterable<ReferralPage>;
  read(id: string): Promise<ReferralWithEtag | null>;
  findByExternalReference(externalReferenceId: string): Promise<ReferralWithEtag | null>;
  create(body: ReferralCreate): Promise<ReferralWithEtag>;
  patch(id: string, ops: PatchOp[], etag: string | null): Promise<ReferralWithEtag>;
  related(engagementId: string): Promise<Referral[]>;
  /**
   * One page of referrals matching an OData filter, newest first. `next` is the previous page's token; it is
   * only followed when it points into this API (a token never sends the credentials elsewhere).
   */
  listPage(q: { filter?: string; top: number; next?: string | null }): Promise<{ referrals: Referral[]; next: string | null }>;
  accept(id: string, etag: string | null, ops?: PatchOp[]): Promise<ReferralWithEtag>;
  decline(id: string, etag: string | null, reason: string, notes?: string): Promise<ReferralWithEtag>;
  invite(id: string, target: 'microsoft' | { partnerOrgId: string }, details: InviteDetails): Promise<ReferralWithEtag>;
  /** Register a Won deal (`POST …/referrals/{id}/registrations`); refusals throw (409 → ValidationError with the reason). */
  register(id: string, body: RegistrationRequest): Promise<RegistrationView>;
  /** Answer "action required" (`POST …/registrations/{registrationId}/responses`): back to Microsoft's review. */
  answerRegistration(id: string, registrationId: string, body: RegistrationResponse): Promise<RegistrationView>;
  linkFor(id: string): string | null;
  calls(): number;
  /** The same client (lane, auth) sending another MS-CorrelationId: one per sync run. */
  forRun(correlationId: string): ReferralsClient;
}

const DEFAULT_LINK = 'https://partner.microsoft.com/dashboard/v2/referrals/leads/{id}';

/**
 * Lanes are per base URL and tenant, shared by every client of that tenant (the API's budget is the tenant's):
 * in distributed mode the lane's name keys its Retry-After and interval cap in Redis across workers.
 */
const lanes = new Map<string, Lane>();
function laneFor(baseUrl: string, tenant: string | undefined, rate: RateConfig, log: Logger): Lane {
  const name = `referrals ${new URL(baseUrl).host}${tenant ? ` ${tenant}` : ''}`;
  let lane = lanes.get(`${baseUrl} ${name}`);
  if (!lane) {
    lane = createLane({ name, ...rate, log });
    lanes.set(`${baseUrl} ${name}`, lane);
  }
  return lane;
}

function parseReferral(data: unknown, label: string): Referral {
  const r = referralSchema.safeParse(data);
  if (!r.success) {
    throw new RemoteError(`${label}: the response is not a referral (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  }
  return r.data;
}

export function createReferralsClient(opts: ReferralsClientOptions): ReferralsClient {
  const log = opts.log ?? silentLogger;
  const base = opts.baseUrl.replace(/\/+$/, '');
  const lane = laneFor(base, opts.auth.tenant, opts.rate, log);
  const incremental = opts.incremental ?? { mode: 'auto', overlapSeconds: 300 };
  const top = opts.pageSize ?? 100;
  let callCount = 0;
  let filterSupported: boolean | undefined = incremental.mode === 'filter' ? true : incremental.mode === 'orderby' ? false : undefined;

  const build = (http: HttpClient): ReferralsClient => {
    const call = (req: Parameters<HttpClient['call']>[0], idempotent: boolean): Promise<HttpResult> =>
      lane.run(
        (signal) => {
          callCount++;
          return http.call(req, signal);
        },
        { idempotent, label: req.label },
      );

    const withEtag = (res: HttpResult, label: string): ReferralWithEtag => {
      const referral = parseReferral(res.data, label);
      return { referral, etag: res.headers.etag ?? referral.eTag ?? null };
    };

    const list = async (query: string, label: string): Promise<{ items: unknown[]; next: string | null }> => {
      const res = await call({ method: 'GET', url: `${base}/referrals?${query}`, label }, true);
      return parseList(res, label);
    };

    const parseList = (res: HttpResult, label: string) => {
      const body = referralListSchema.safeParse(res.data);
      if (!body.success) throw new RemoteError(`${label}: the response is not a referral list`);
      return { items: body.data.value, next: body.data['@odata.nextLink'] ?? null };
    };

    /** Follow `@odata.nextLink` unchanged (absolute or relative to the API base). */
    async function* pages(firstQuery: string, label: string): AsyncGenerator<{ items: unknown[] }> {
      let page = await list(firstQuery, label);
      for (;;) {
        yield { items: page.items };
        if (!page.next) return;
        const url = /^https?:/i.test(page.next) ? page.next : new URL(page.next, `${base}/`).toString();
        page = parseList(await call({ method: 'GET', url, label }, true), label);
      }
    }

    const parseItems = (items: unknown[]): { referrals: Referral[]; rejected: ReferralPage['rejected'] } => {
      const referrals: Referral[] = [];
      const rejected: ReferralPage['rejected'] = [];
      for (const item of items) {
        const r = referralSchema.safeParse(item);
        if (r.success) referrals.push(r.data);
        else {
          const id = typeof item === 'object' && item && 'id' in item ? String((item as { id: unknown }).id) : null;
          const problem = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
          log.warn('referral skipped: unexpected shape', { referralId: id, problem });
          rejected.push({ id, problem });
        }
      }
      return { referrals, rejected };
    };

    const detectFilter = async (): Promise<boolean> => {
      if (filterSupported !== undefined) return filterSupported;
      try {
        await list(`$filter=${encodeURIComponent(`updatedDateTime ge ${filterLiteral(new Date(0))}`)}&$top=1`, 'probe updatedDateTime filter');
        filterSupported = true;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        filterSupported = false;
      }
      log.debug('referrals incremental mode', { mode: filterSupported ? 'filter' : 'orderby' });
      return filterSupported;
    };

    async function* pull(cursorText: string | null): AsyncGenerator<ReferralPage> {
      const cursor: PullCursor | null = decodeCursor(cursorText);
      const since = cursor ? new Date(Date.parse(cursor.hw) - incremental.overlapSeconds * 1000) : null;
      let hw = cursor?.hw ?? null;
      const bump = (rs: Referral[]) => {
        for (const r of rs) if (r.updatedDateTime && (!hw || r.updatedDateTime > hw)) hw = r.updatedDateTime;
      };
      if (await detectFilter()) {
        // Oldest first: each page's high-water mark is safe to checkpoint after the page.
        const filter = since ? `&$filter=${encodeURIComponent(`updatedDateTime ge ${filterLiteral(since)}`)}` : '';
        for await (const page of pages(`$orderby=${encodeURIComponent('updatedDateTime asc')}&$top=${top}${filter}`, 'list referrals')) {
          const parsed = parseItems(page.items);
          bump(parsed.referrals);
          yield { ...parsed, cursor: hw ? encodeCursor({ hw }) : null };
        }
        return;
      }
      // Newest first until the previous high-water mark (minus the overlap); the cursor moves only at the end.
      const stopAt = since?.toISOString() ?? null;
      const seen = new Set<string>();
      let last: ReferralPage | null = null;
      for await (const page of pages(`$orderby=${encodeURIComponent('updatedDateTime desc')}&$top=${top}`, 'list referrals')) {
        const parsed = parseItems(page.items);
        const fresh = parsed.referrals.filter((r) => !stopAt || !r.updatedDateTime || r.updatedDateTime >= stopAt).filter((r) => !seen.has(r.id) && seen.add(r.id));
        bump(fresh);
        const done = fresh.length < parsed.referrals.length;
        if (last) yield last;
        last = { referrals: fresh, rejected: parsed.rejected, cursor: null };
        if (done) break;
      }
      yield { referrals: last?.referrals ?? [], rejected: last?.rejected ?? [], cursor: hw ? encodeCursor({ hw }) : null };
    }

    const read = async (id: string): Promise<ReferralWithEtag | null> => {
      const label = `get referral ${id}`;
      try {
        return withEtag(await call({ method: 'GET', url: `${base}/referrals/${encodeURIComponent(id)}`, label }, true), label);
      } catch (err) {
        if ((err as Error).name === 'NotFoundError') return null;
        throw err;
      }
    };

    const findByExternalReference = async (externalReferenceId: string): Promise<ReferralWithEtag | null> => {
      const q = `$filter=${encodeURIComponent(`externalReferenceId eq '${externalReferenceId.replace(/'/g, "''")}'`)}&$top=1`;
      const { items } = await list(q, `find referral for ${externalReferenceId}`);
      const first = items[0];
      if (!first) return null;
      const referral = parseReferral(first, `find referral for ${externalReferenceId}`);
      return { referral, etag: referral.eTag ?? null };
    };

    const create = async (body: ReferralCreate): Promise<ReferralWithEtag> => {
      const label = `create referral${body.externalReferenceId ? ` for ${body.externalReferenceId}` : ''}`;
      const wire = { ...body, ...(body.consent ? { consent: toWireConsent(body.consent as Referral['consent']) } : {}) };
      for (let attempt = 0; ; attempt++) {
        try {
          return withEtag(await call({ method: 'POST', url: `${base}/referrals`, body: wire, label }, false), label);
        } catch (err) {
          // The store refuses a second referral for one externalReferenceId and names the first: that one is ours.
          if (err instanceof AlreadyCreatedError) {
            const existing = await read(err.existingId);
            if (!existing) throw err;
            log.info('create: the referral already exists', { externalReferenceId: body.externalReferenceId, referralId: existing.referral.id });
            return existing;
          }
          // The POST may have been processed before the failure: look before sending it again.
          const unsure = err instanceof TransportError || (err instanceof RateLimitedError && err.status === 503) || (err instanceof RemoteError && (err.status ?? 0) >= 500);
          if (!unsure || !body.externalReferenceId || attempt >= opts.rate.maxRetries) throw err;
          const existing = await findByExternalReference(body.externalReferenceId);
          if (existing) {
            log.info('create healed by lookup', { externalReferenceId: body.externalReferenceId, referralId: existing.referral.id });
            return existing;
          }
        }
      }
    };

    const patch = async (id: string, ops: PatchOp[], etag: string | null): Promise<ReferralWithEtag> => {
      const label = `update referral ${id}`;
      const res = await call(
        {
          method: 'PATCH',
          url: `${base}/referrals/${encodeURIComponent(id)}`,
          body: ops,
          label,
          headers: { Prefer: 'return=representation', ...(etag ? { 'If-Match': etag } : {}) },
        },
        // With If-Match a repeated PATCH cannot apply twice: the second one meets a new ETag (412).
        etag !== null,
      );
      if (res.status === 204 || res.data === '' || res.data == null) {
        const again = await read(id);
        if (!again) throw new RemoteError(`${label}: the referral vanished after the update`);
        return again;
      }
      return withEtag(res, label);
    };

    const replace = (path: string, value: unknown): PatchOp => ({ op: 'replace', path, value });

    const registrationCall = async (label: string, url: string, body: unknown): Promise<RegistrationView> => {
      const res = await call({ method: 'POST', url, body, label }, false);
      const parsed = registrationViewSchema.safeParse(res.data);
      if (!parsed.success)
        throw new RemoteError(`${label}: the response is not a registration (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
      return parsed.data;
    };

    const client: ReferralsClient = {
      pull,
      read,
      findByExternalReference,
      create,
      patch,
      async related(engagementId) {
        const out: Referral[] = [];
        const q = `$filter=${encodeURIComponent(`engagementId eq '${engagementId.replace(/'/g, "''")}'`)}`;
        for await (const page of pages(q, `related referrals of ${engagementId}`)) out.push(...parseItems(page.items).referrals);
        return out;
      },
      async listPage(q) {
        let res: { items: unknown[]; next: string | null };
        if (q.next) {
          const url = new URL(q.next, `${base}/`);
          if (!url.href.startsWith(`${base}/referrals?`)) throw new ValidationError('invalid page token', [{ path: 'next', message: 'expected a token from a previous page' }]);
          res = parseList(await call({ method: 'GET', url: url.href, label: 'list referrals' }, true), 'list referrals');
        } else {
          const filter = q.filter ? `&$filter=${encodeURIComponent(q.filter)}` : '';
          res = await list(`$orderby=${encodeURIComponent('updatedDateTime desc')}&$top=${q.top}${filter}`, 'list referrals');
        }
        return { referrals: parseItems(res.items).referrals, next: res.next };
      },
      accept: (id, etag, ops = []) => patch(id, [replace('/status', 'Active'), replace('/substatus', 'Accepted'), ...ops], etag),
      decline: (id, etag, reason, notes) =>
        patch(id, [replace('/status', 'Closed'), replace('/substatus', 'Declined'), replace('/statusReason', reason), ...(notes ? [replace('/details/notes', notes)] : [])], etag),
      async invite(id, target, details) {
        const current = await read(id);
        if (!current) throw new RemoteError(`invite on referral ${id}: not found`);
        if (target === 'microsoft') {
          return patch(
            id,
            [
              replace('/type', 'Shared'),
              replace('/consent/consentToShareReferralWithMicrosoftSellers', true),
              replace('/inviteContext/assistanceRequestCode', details.helpType ?? 'GeneralOrOther'),
              ...(details.notes ? [replace('/inviteContext/notes', details.notes)] : []),
            ],
            current.etag,
          );
        }
        const r = current.referral;
        return create({
          engagementId: r.engagementId,
          name: r.name,
          type: 'Shared',
          customerProfile: r.customerProfile,
          consent: r.consent,
          details: {
            notes: details.notes ?? null,
            dealValue: details.dealValue ?? r.details?.dealValue ?? null,
            currency: details.currency ?? r.details?.currency ?? null,
            closingDateTime: details.closingDateTime ?? r.details?.closingDateTime ?? null,
            requirements: { solutions: details.solutions ?? r.details?.requirements?.solutions ?? [] },
          },
          team: details.team ?? r.team,
          inviteContext: { notes: details.notes ?? null, assistanceRequestCode: details.helpType ?? null },
          target: [{ type: 'BusinessProfileLocation', id: target.partnerOrgId === MICROSOFT_ORG_ID ? MICROSOFT_ORG_ID : target.partnerOrgId }],
        } as ReferralCreate);
      },
      // Neither is retried blindly: a repeated POST is refused (409 alreadyRegistered / not waiting for an answer).
      register: (id, body) => registrationCall(`register referral ${id}`, `${base}/referrals/${encodeURIComponent(id)}/registrations`, body),
      answerRegistration: (id, registrationId, body) =>
        registrationCall(
          `answer registration ${registrationId}`,
          `${base}/referrals/${encodeURIComponent(id)}/registrations/${encodeURIComponent(registrationId)}/responses`,
          body,
        ),
      linkFor: (id) => (opts.linkTemplate ?? DEFAULT_LINK).replace('{id}', encodeURIComponent(id)),
      calls: () => callCount,
      forRun: (correlationId) => build(http.withCorrelationId(correlationId)),
    };
    return client;
  };

  return build(createHttpClient({ auth: opts.auth, timeoutMs: opts.rate.timeoutMs, ...(opts.correlationId ? { correlationId: opts.correlationId } : {}) }));
}
