/**
 * Webhook delivery: copies each registered organization's new outbox events into its delivery queue (in one
 * transaction with the cursor, so an event is queued exactly once, across restarts too), then POSTs due
 * deliveries signed as Partner Center signs them. A failure (non-2xx, timeout, connection error) is retried
 * after retryBaseMs, doubling, up to maxAttempts in all; then the delivery is parked (admin API). Within one
 * stream (a referral, or one validation event) deliveries go out strictly in order: the next waits until the
 * previous one is delivered or parked. Delivery is at-least-once: a crash between the receiver's 2xx and the
 * commit sends that event again.
 */
import { STATUS_CODES } from 'node:http';
import { signWebhookBody, webhookSignatureHeaders } from '../../domain/index.js';
import type { Logger } from '../../runtime/index.js';
import { webhookPayload } from '../events.js';
import type { Repository } from '../repository.js';
import type { DueDelivery, WebhookRepository } from './repository.js';

export interface DeliveryConfig {
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
  pollMs: number;
  /** Deliveries sent at once (each to a different stream). */
  concurrency: number;
}

export const DEFAULT_DELIVERY: DeliveryConfig = { maxAttempts: 10, retryBaseMs: 1000, timeoutMs: 10_000, pollMs: 250, concurrency: 8 };

export interface Signer {
  privateKeyPem: string;
  certificateUrl(): string;
}

/** Outbox rows queued per organization per round. */
const QUEUE_BATCH = 1000;

/** "Internal Server Error" → "InternalServerError", the way Partner Center reports response codes. */
const codeName = (status: number) => (STATUS_CODES[status] ?? String(status)).replace(/[^A-Za-z0-9]/g, '');

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly repo: Repository,
    private readonly hooks: WebhookRepository,
    private readonly signer: Signer,
    private readonly base: () => string,
    private readonly config: DeliveryConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.pump(), this.config.pollMs);
    this.timer.unref();
  }

  /** Stop polling and wait for the deliveries in flight (their outcome is committed). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round: queue new events, send what is due. Rounds never overlap. Returns deliveries attempted. */
  pump(): Promise<number> {
    if (!this.running) {
      this.running = this.round()
        .catch((err: unknown) => {
          this.log.error('webhook delivery round failed', { error: (err as Error).message });
          return 0;
        })
        .finally(() => {
          this.running = null;
        });
    }
    return this.running;
  }

  private async round(): Promise<number> {
    this.queueNewEvents();
    let sent = 0;
    // Keep going while a backlog is due (a failed delivery is not due again until its retry time).
    for (let batch = this.hooks.due(Date.now(), this.config.concurrency); batch.length; batch = this.hooks.due(Date.now(), this.config.concurrency)) {
      await Promise.all(batch.map((d) => this.send(d)));
      sent += batch.length;
    }
    return sent;
  }

  private queueNewEvents(): void {
    const base = this.base();
    const newest = this.hooks.lastEventId();
    for (const sub of this.hooks.subscriptions()) {
      if (sub.lastEventId >= newest) continue;
      this.repo.transaction(() => {
        const events = this.repo.eventsAfter(sub.lastEventId, QUEUE_BATCH, sub.orgId);
        const now = Date.now();
        for (const e of events) {
          if (sub.events.includes(e.name)) this.hooks.enqueue(sub.orgId, e.referralId, null, JSON.stringify(webhookPayload(e, base)), now, e.created);
        }
        // The cursor moves past other organizations' events too (reads and writes here are synchronous, so
        // nothing is added meanwhile): a quiet organization never rescans them.
        this.hooks.advance(sub.orgId, events.length === QUEUE_BATCH ? events.at(-1)!.id : newest);
      });
    }
  }

  private async send(d: DueDelivery): Promise<void> {
    const signature = signWebhookBody(d.payload, this.signer.privateKeyPem);
    const headers = { 'content-type': 'application/json; charset=utf-8', ...webhookSignatureHeaders(signature, this.signer.certificateUrl(), d.toMsSignatureHeader) };
    let code: string;
    let message: string;
    let ok = false;
    try {
      const res = await fetch(d.url, { method: 'POST', headers, body: d.payload, signal: AbortSignal.timeout(this.config.timeoutMs) });
      message = (await res.text().catch(() => '')).slice(0, 500);
      code = codeName(res.status);
      ok = res.ok;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      code = e.name === 'TimeoutError' ? 'RequestTimeout' : 'ConnectionFailed';
      message = e.name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    const attempts = d.attempts + 1;
    const state = ok ? 'delivered' : attempts >= this.config.maxAttempts ? 'parked' : 'pending';
    const nextAt = state === 'pending' ? Date.now() + this.config.retryBaseMs * 2 ** (attempts - 1) : d.nextAt;
    this.repo.transaction(() => {
      this.hooks.recordAttempt(d.id, new Date().toISOString(), code, ok ? 'Request completed successfully.' : message || code);
      this.hooks.finish(d.id, state, attempts, nextAt, ok ? null : `${code}: ${message}`.slice(0, 500));
    });
    if (state === 'parked') this.log.warn('webhook delivery parked', { deliveryId: d.id, organizationId: d.orgId, stream: d.stream, attempts, lastError: code });
    else if (!ok) this.log.info('webhook delivery failed; will retry', { deliveryId: d.id, attempts, code });
  }
}
