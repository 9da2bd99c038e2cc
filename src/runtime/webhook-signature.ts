/**
 * Partner Center's webhook signature scheme, in one place for the sender (the referral store) and a receiver:
 * the RSA-SHA256 signature of the exact UTF-8 request body, base64, sent as `Authorization: Signature <sig>`
 * (or as `x-ms-signature: <sig>` when the registration set `SignatureTokenToMsSignatureHeader`), with
 * `X-MS-Certificate-Url` naming the signing certificate and `X-MS-Signature-Algorithm: rsa-sha256`.
 * Pure apart from node:crypto; fetching and trusting the certificate is the receiver's job.
 */
import { createSign, createVerify, X509Certificate } from 'node:crypto';

export const WEBHOOK_SIGNATURE_ALGORITHM = 'rsa-sha256';
export const WEBHOOK_HEADERS = {
  authorization: 'authorization',
  msSignature: 'x-ms-signature',
  certificateUrl: 'x-ms-certificate-url',
  algorithm: 'x-ms-signature-algorithm',
} as const;

/** base64 RSA-SHA256 over the body's UTF-8 bytes. */
export function signWebhookBody(body: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(Buffer.from(body, 'utf8')).sign(privateKeyPem, 'base64');
}

/** The headers Partner Center sends with a signed event. */
export function webhookSignatureHeaders(signature: string, certificateUrl: string, toMsSignatureHeader: boolean): Record<string, string> {
  return {
    ...(toMsSignatureHeader ? { [WEBHOOK_HEADERS.msSignature]: signature } : { [WEBHOOK_HEADERS.authorization]: `Signature ${signature}` }),
    [WEBHOOK_HEADERS.certificateUrl]: certificateUrl,
    [WEBHOOK_HEADERS.algorithm]: WEBHOOK_SIGNATURE_ALGORITHM,
  };
}

export type SignatureHeaders = { ok: true; signature: string; certificateUrl: string } | { ok: false; reason: string };

/** Read the signature headers of a request (lower-case header names, as node gives them). */
export function readWebhookSignature(headers: Record<string, string | string[] | undefined>): SignatureHeaders {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const auth = /^Signature\s+(\S+)\s*$/i.exec(one(WEBHOOK_HEADERS.authorization) ?? '');
  const signature = one(WEBHOOK_HEADERS.msSignature) ?? auth?.[1];
  if (!signature) return { ok: false, reason: 'no signature (Authorization: Signature <base64> or x-ms-signature)' };
  const algorithm = one(WEBHOOK_HEADERS.algorithm);
  if (algorithm?.toLowerCase() !== WEBHOOK_SIGNATURE_ALGORITHM)
    return { ok: false, reason: `X-MS-Signature-Algorithm must be ${WEBHOOK_SIGNATURE_ALGORITHM} (got '${algorithm ?? ''}')` };
  const certificateUrl = one(WEBHOOK_HEADERS.certificateUrl);
  if (!certificateUrl) return { ok: false, reason: 'no X-MS-Certificate-Url' };
  return { ok: true, signature, certificateUrl };
}

/** Whether `signature` is the certificate's key's RSA-SHA256 signature of the raw body (PEM or DER certificate). */
export function verifyWebhookBody(rawBody: string | Buffer, signature: string, certificate: string | Buffer): boolean {
  const key = new X509Certificate(certificate).publicKey;
  return createVerify('RSA-SHA256')
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .verify(key, signature, 'base64');
}
