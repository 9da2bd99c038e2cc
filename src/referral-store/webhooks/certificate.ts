/**
 * The store's webhook signing certificate: generated once (selfsigned, RSA 2048, SHA-256) and kept in the
 * store file, so receivers that pinned it keep verifying across restarts. Served as DER at a store URL, like
 * Partner Center's `.cer` behind X-MS-Certificate-Url.
 */
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import type { Repository } from '../repository.js';

export interface SigningCertificate {
  privateKeyPem: string;
  certificatePem: string;
  der: Buffer;
}

export const CERTIFICATE_PATH = '/webhooks/v1/certificate/pcnotifications-dispatch.cer';

export async function signingCertificate(repo: Repository, now: Date): Promise<SigningCertificate> {
  let key = repo.meta('webhookSigningKey');
  let cert = repo.meta('webhookCertificate');
  if (!key || !cert) {
    const pems = await generate(
      [
        { name: 'commonName', value: 'pcnotifications-dispatch.referral-store.local' },
        { name: 'organizationName', value: 'cosell-sync referral store' },
      ],
      { keySize: 2048, algorithm: 'sha256', notBeforeDate: now, notAfterDate: new Date(now.getTime() + 5 * 365 * 86_400_000) },
    );
    key = pems.private;
    cert = pems.cert;
    repo.transaction(() => {
      repo.setMeta('webhookSigningKey', key!);
      repo.setMeta('webhookCertificate', cert!);
    });
  }
  return { privateKeyPem: key, certificatePem: cert, der: Buffer.from(new X509Certificate(cert).raw) };
}
