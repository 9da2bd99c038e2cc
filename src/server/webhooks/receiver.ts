/**
 * `POST /webhooks/partner-center`: verify (else 401, counted, logged once, nothing queued), parse the event,
 * drop replays by (ResourceUri, ResourceChangeUtcDate), answer 200 at once and sync the one referral behind it.
 * Partner Center's validation event (`test-created`) is acknowledged and nothing more.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../runtime/index.js';
import type { Metrics } from '../metrics.js';
import { REFERRAL_EVENTS } from './registration.js';
import type { Verdict } from './verify.js';

export const partnerCenterEventSchema = z.looseObject({
  EventName: z.string().min(1),
  ResourceUri: z.url(),
  ResourceName: z.string().optional(),
  AuditUri: z.string().optional(),
  ResourceChangeUtcDate: z.string().min(1),
});
export type PartnerCenterEvent = z.infer<typeof partnerCenterEventSchema>;

const REFERRAL_EVENT_NAMES = new Set(REFERRAL_EVENTS);

export interface ReceiverOptions {
  verify(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): Promise<Verdict>;
  /** Sync the referral now; its failures are logged, never answered to Partner Center. */
  syncReferral(referralId: string): Promise<unknown>;
  metrics: Metrics;
  log: Logger;
  dedupeSeconds: number;
}

/** The referral id is the last path segment of ResourceUri (which points at another host than the REST API). */
const referralIdOf = (e: PartnerCenterEvent) => decodeURIComponent(new URL(e.ResourceUri).pathname.split('/').filter(Boolean).pop() ?? '');

export function registerWebhookReceiver(app: FastifyInstance, opts: ReceiverOptions): void {
  const seen = new Map<string, number>();
  const firstTime = (key: string): boolean => {
    const now = Date.now();
    for (const [k, until] of seen) {
      if (until > now) break; // insertion order = expiry order
      seen.delete(k);
    }
    if (seen.has(key)) return false;
    seen.set(key, now + opts.dedupeSeconds * 1000);
    return true;
  };

  app.register(async (scope) => {
    // The signature is over the exact bytes: keep the body raw, whatever its content type says.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post('/webhooks/partner-center', { config: { role: 'none' }, bodyLimit: 64 * 1024 }, async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verdict = await opts.verify(req.headers, raw);
      if (!verdict.ok) {
        opts.metrics.webhook('rejected');
        opts.log.warn('webhook rejected', { reason: verdict.reason, ip: req.ip });
        return reply.code(401).send({ error: { code: 'unauthenticated', message: `the event is not signed by Partner Center: ${verdict.reason}` } });
      }
      let parsed: PartnerCenterEvent;
      try {
        parsed = partnerCenterEventSchema.parse(JSON.parse(raw.toString('utf8')));
      } catch (err) {
        opts.metrics.webhook('invalid');
        const message = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') : 'the body is not JSON';
        opts.log.warn('webhook payload invalid', { error: message });
        return reply.code(400).send({ error: { code: 'invalidRequest', message } });
      }
      if (!REFERRAL_EVENT_NAMES.has(parsed.EventName)) {
        opts.metrics.webhook('accepted');
        opts.log.info('webhook acknowledged', { event: parsed.EventName });
        return reply.code(200).send({ status: 'acknowledged' });
      }
      if (!firstTime(`${parsed.ResourceUri}\n${parsed.ResourceChangeUtcDate}`)) {
        opts.metrics.webhook('duplicate');
        return reply.code(200).send({ status: 'duplicate' });
      }
      const referralId = referralIdOf(parsed);
      opts.metrics.webhook('accepted');
      opts.log.info('webhook accepted', { event: parsed.EventName, referralId });
      void opts.syncReferral(referralId).catch((err: unknown) => opts.log.error('targeted sync failed', { referralId, error: (err as Error).message }));
      return reply.code(200).send({ status: 'accepted', referralId });
    });
  });
}
