/** Registering the receiver with Partner Center's webhook API: POST the first time, PUT after, then a validation event. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPartnerCenterWebhook } from '../../../src/server/index.js';

let registration: unknown = null;
const seen: { method: string; url: string; auth: string | undefined }[] = [];
const server = createServer(async (req: IncomingMessage, res) => {
  let body = '';
  for await (const c of req) body += String(c);
  seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
  const json = (status: number, v: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(v));
  if (req.url === '/webhooks/v1/registration' && req.method === 'GET') return registration ? json(200, registration) : json(404, { error: 'none' });
  if (req.url === '/webhooks/v1/registration' && (req.method === 'POST' || req.method === 'PUT')) {
    if (req.method === 'POST' && registration) return json(409, { error: 'exists' });
    registration = JSON.parse(body);
    return json(200, registration);
  }
  if (req.url === '/webhooks/v1/registration/validationEvents' && req.method === 'POST') return json(200, { correlationId: 'corr-1' });
  json(404, {});
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('registerPartnerCenterWebhook', () => {
  it('POSTs a new registration for the referral events with the bearer token, then PUTs on the next call; each asks for a validation event', async () => {
    const opts = { apiBase: base, token: async () => 'pc-token', callbackUrl: 'https://sync.example/webhooks/partner-center' };
    const first = await registerPartnerCenterWebhook(opts);
    expect(first.method).toBe('POST');
    expect(first.registration.WebhookEvents).toEqual(['referral-created', 'referral-updated', 'related-referral-created', 'related-referral-updated']);
    expect(first.validationEventId).toBe('corr-1');
    const second = await registerPartnerCenterWebhook({ ...opts, callbackUrl: 'https://sync2.example/webhooks/partner-center' });
    expect(second.method).toBe('PUT');
    expect(second.registration.WebhookUrl).toBe('https://sync2.example/webhooks/partner-center');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /webhooks/v1/registration',
      'POST /webhooks/v1/registration',
      'POST /webhooks/v1/registration/validationEvents',
      'GET /webhooks/v1/registration',
      'PUT /webhooks/v1/registration',
      'POST /webhooks/v1/registration/validationEvents',
    ]);
    expect(seen.every((s) => s.auth === 'Bearer pc-token')).toBe(true);
  });

  it('names the call and the status when Partner Center refuses', async () => {
    await expect(registerPartnerCenterWebhook({ apiBase: `${base}/nothing-here`, token: async () => 't', callbackUrl: 'https://x.example/h' })).rejects.toThrow(
      /POST http:\/\/127\.0\.0\.1:\d+\/nothing-here\/webhooks\/v1\/registration answered 404/,
    );
  });
});
