/**
 * Registers the receiver with Partner Center's webhook API (`/webhooks/v1/registration`): PUT when a
 * registration exists, POST otherwise, then asks for a validation event so the path is proven end to end.
 * The caller hands in the API base and a bearer-token source; the embedded store speaks the same API.
 */
export interface WebhookRegistration {
  WebhookUrl: string;
  WebhookEvents: string[];
}

export const REFERRAL_EVENTS = ['referral-created', 'referral-updated', 'related-referral-created', 'related-referral-updated'];

export async function registerPartnerCenterWebhook(opts: {
  /** e.g. https://api.partnercenter.microsoft.com */
  apiBase: string;
  token(): Promise<string>;
  callbackUrl: string;
  events?: string[];
  fetch?: typeof fetch;
}): Promise<{ method: 'POST' | 'PUT'; registration: WebhookRegistration; validationEventId: string | null }> {
  const f = opts.fetch ?? fetch;
  const url = `${opts.apiBase.replace(/\/$/, '')}/webhooks/v1/registration`;
  const headers = async () => ({ Authorization: `Bearer ${await opts.token()}`, 'Content-Type': 'application/json', Accept: 'application/json' });
  const existing = await f(url, { headers: await headers() });
  if (existing.status !== 200 && existing.status !== 404) throw new Error(`webhook registration: GET ${url} answered ${existing.status}`);
  const method = existing.status === 200 ? 'PUT' : 'POST';
  const body: WebhookRegistration = { WebhookUrl: opts.callbackUrl, WebhookEvents: opts.events ?? REFERRAL_EVENTS };
  const res = await f(url, { method, headers: await headers(), body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`webhook registration: ${method} ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const registration = (await res.json()) as WebhookRegistration;
  const validation = await f(`${url}/validationEvents`, { method: 'POST', headers: await headers() });
  const validationEventId = validation.ok ? (((await validation.json()) as { correlationId?: string }).correlationId ?? null) : null;
  return { method, registration, validationEventId };
}
