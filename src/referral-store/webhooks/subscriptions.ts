/**
 * Partner Center's webhook registration API, served by the store: one registration per organization
 * (`{ WebhookUrl, WebhookEvents, SignatureTokenToMsSignatureHeader }`), the events it can subscribe to, and
 * validation ("test-created") events with their delivery results.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ApiError, invalidRequest, notFound, zodIssues } from '../errors.js';
import type { Organization, Repository } from '../repository.js';
import type { Delivery, Subscription, WebhookRepository } from './repository.js';

export const REFERRAL_WEBHOOK_EVENTS = ['referral-created', 'referral-updated', 'related-referral-created', 'related-referral-updated'] as const;
export const TEST_EVENT = 'test-created';
export const WEBHOOK_EVENTS = [...REFERRAL_WEBHOOK_EVENTS, TEST_EVENT] as const;

/** Property names as Partner Center documents them; .NET binds JSON case-insensitively, so any casing is read. */
const PROPERTIES = ['WebhookUrl', 'WebhookEvents', 'SignatureTokenToMsSignatureHeader'] as const;

const registrationBody = z.strictObject({
  WebhookUrl: z.url({ protocol: /^https?$/, error: 'an absolute http(s) URL' }),
  WebhookEvents: z.array(z.enum(WEBHOOK_EVENTS, { error: `one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1, 'at least one event'),
  SignatureTokenToMsSignatureHeader: z.boolean().default(false),
});

function canonicalKeys(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [PROPERTIES.find((p) => p.toLowerCase() === k.toLowerCase()) ?? k, v]));
}

export interface RegistrationView {
  SubscriberId: string;
  WebhookUrl: string;
  WebhookEvents: string[];
  SignatureTokenToMsSignatureHeader: boolean;
}

const view = (s: Pick<Subscription, 'subscriberId' | 'url' | 'events' | 'toMsSignatureHeader'>): RegistrationView => ({
  SubscriberId: s.subscriberId,
  WebhookUrl: s.url,
  WebhookEvents: s.events,
  SignatureTokenToMsSignatureHeader: s.toMsSignatureHeader,
});

export class WebhookSubscriptions {
  constructor(
    private readonly repo: Repository,
    private readonly hooks: WebhookRepository,
    private readonly now: () => string,
    /** Where a validation event's resource lives: `{origin}/webhooks/v1/registration/validationEvents/{id}`. */
    private readonly validationUri: (correlationId: string) => string,
  ) {}

  get(org: Organization): RegistrationView {
    const s = this.hooks.subscription(org.id);
    if (!s) throw notFound('a webhook registration for this organization', null);
    return view(s);
  }

  /** POST: create; Partner Center refuses a second registration (update it with PUT). */
  create(org: Organization, body: unknown): RegistrationView {
    return this.write(org, body, 'create');
  }

  /** PUT: replace the existing registration (its queued events stay queued). */
  replace(org: Organization, body: unknown): RegistrationView {
    return this.write(org, body, 'replace');
  }

  remove(org: Organization): void {
    if (!this.repo.transaction(() => this.hooks.remove(org.id))) throw notFound('a webhook registration for this organization', null);
  }

  /** Queue a test-created event to the registered URL; its progress is read by correlation id. */
  validate(org: Organization): { CorrelationId: string } {
    return this.repo.transaction(() => {
      const s = this.hooks.subscription(org.id);
      if (!s) throw notFound('a webhook registration for this organization (register before asking for a validation event)', null);
      const correlationId = randomUUID();
      const at = this.now();
      const payload = { EventName: TEST_EVENT, ResourceUri: this.validationUri(correlationId), ResourceName: 'test', AuditUri: null, ResourceChangeUtcDate: at };
      this.hooks.enqueue(org.id, `validation:${correlationId}`, correlationId, JSON.stringify(payload), Date.now(), at);
      return { CorrelationId: correlationId };
    });
  }

  validation(org: Organization, correlationId: string) {
    const deliveries = this.hooks.byCorrelation(correlationId).filter((d) => d.orgId === org.id);
    if (!deliveries.length) throw notFound(`validation event '${correlationId}'`, 'correlationId');
    const sub = this.hooks.subscription(org.id);
    const events = deliveries.map((d) => ({
      correlationId,
      eventName: TEST_EVENT,
      status: statusOf(d),
      resourceUri: this.validationUri(correlationId),
      webhookUrl: sub?.url ?? null,
      results: this.hooks.attempts(d.id).map((a) => ({
        responseCode: a.responseCode,
        responseMessage: a.message,
        systemMessage: a.responseCode === 'OK' ? 'Request completed successfully.' : a.message,
        dateTimeUtc: a.at,
      })),
    }));
    return {
      correlationId,
      partnerId: org.id,
      status: events.every((e) => e.status === 'completed') ? 'completed' : events.some((e) => e.status === 'failed') ? 'failed' : 'pending',
      events,
    };
  }

  private write(org: Organization, body: unknown, mode: 'create' | 'replace'): RegistrationView {
    const parsed = registrationBody.safeParse(canonicalKeys(body ?? {}));
    if (!parsed.success) throw invalidRequest('the webhook registration is not valid', zodIssues(parsed.error.issues));
    const b = parsed.data;
    return this.repo.transaction(() => {
      const existing = this.hooks.subscription(org.id);
      if (mode === 'create' && existing) throw new ApiError(409, 'registrationExists', 'a webhook registration already exists for this organization: update it with PUT', null);
      if (mode === 'replace' && !existing) throw notFound('a webhook registration for this organization (create it with POST)', null);
      const next = {
        orgId: org.id,
        subscriberId: existing?.subscriberId ?? randomUUID(),
        url: b.WebhookUrl,
        events: [...new Set(b.WebhookEvents)],
        toMsSignatureHeader: b.SignatureTokenToMsSignatureHeader,
        updated: this.now(),
      };
      this.hooks.save(next);
      return view(next);
    });
  }
}

const statusOf = (d: Delivery) => (d.state === 'delivered' ? 'completed' : d.state === 'parked' ? 'failed' : 'pending');
