/** Partner Center's webhook signature scheme (src/domain/webhook-signature.ts): sign, headers, read, verify. */
import { generateKeyPairSync } from 'node:crypto';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWebhookSignature, signWebhookBody, verifyWebhookBody, webhookSignatureHeaders } from '../../../src/runtime/index.js';

let key: string;
let cert: string;
beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'signature test' }], { keySize: 2048, algorithm: 'sha256' });
  key = pems.private;
  cert = pems.cert;
});

const body = '{"EventName":"referral-created","ResourceUri":"https://x/referrals/ü","ResourceName":"referral"}';

describe('webhook signature', () => {
  it('RSA-SHA256 over the UTF-8 body verifies with the certificate (PEM or DER) and nothing else', () => {
    const sig = signWebhookBody(body, key);
    expect(verifyWebhookBody(body, sig, cert)).toBe(true);
    expect(verifyWebhookBody(Buffer.from(body, 'utf8'), sig, Buffer.from(cert.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).toBe(true);
    expect(verifyWebhookBody(body.replace('ü', 'u'), sig, cert)).toBe(false);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(verifyWebhookBody(body, signWebhookBody(body, other), cert)).toBe(false);
  });

  it('headers: Authorization: Signature, or x-ms-signature when asked; certificate URL and algorithm always', () => {
    expect(webhookSignatureHeaders('abc=', 'https://c/cert.cer', false)).toEqual({
      authorization: 'Signature abc=',
      'x-ms-certificate-url': 'https://c/cert.cer',
      'x-ms-signature-algorithm': 'rsa-sha256',
    });
    expect(webhookSignatureHeaders('abc=', 'https://c/cert.cer', true)).toEqual({
      'x-ms-signature': 'abc=',
      'x-ms-certificate-url': 'https://c/cert.cer',
      'x-ms-signature-algorithm': 'rsa-sha256',
    });
  });

  it('reading: both header forms; a missing signature, another algorithm or no certificate URL is refused with why', () => {
    const h = webhookSignatureHeaders('abc=', 'https://c/cert.cer', false);
    expect(readWebhookSignature(h)).toEqual({ ok: true, signature: 'abc=', certificateUrl: 'https://c/cert.cer' });
    expect(readWebhookSignature(webhookSignatureHeaders('xyz=', 'https://c/cert.cer', true))).toMatchObject({ ok: true, signature: 'xyz=' });
    expect(readWebhookSignature({ ...h, authorization: 'Bearer abc' })).toMatchObject({ ok: false, reason: expect.stringContaining('no signature') });
    expect(readWebhookSignature({ ...h, 'x-ms-signature-algorithm': 'hmac-sha256' })).toMatchObject({ ok: false, reason: expect.stringContaining('rsa-sha256') });
    const { 'x-ms-certificate-url': _u, ...noUrl } = h;
    expect(readWebhookSignature(noUrl)).toMatchObject({ ok: false, reason: expect.stringContaining('X-MS-Certificate-Url') });
  });
});
