/**
 * The verifier on its own, against certificates served over HTTPS on loopback by a test CA: the header
 * variants Partner Center uses, DER and PEM certificate files, the allow-list by host and port, a failed
 * certificate fetch not remembered (a good one is), and a trust anchor that is not the signer's root.
 */
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../../src/server/index.js';
import { signedHeaders, startPki, type Pki } from '../../helpers/webhook-pki.js';

let pki: Pki;
let other: Pki;
beforeAll(async () => {
  [pki, other] = await Promise.all([startPki(), startPki()]);
});
afterAll(async () => {
  await pki.close();
  await other.close();
});

const body = JSON.stringify({
  EventName: 'referral-updated',
  ResourceUri: 'https://api.partnercenter.microsoft.com/engagements/v1/referrals/r1',
  ResourceChangeUtcDate: '2026-12-01T10:00:00Z',
});
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const verifier = (o: { hosts?: string[]; anchors?: string[] } = {}) =>
  createVerifier({ allowedHosts: o.hosts ?? [pki.host], trustAnchors: o.anchors ?? [pki.caPem], organization: 'Microsoft Corporation' });

describe('createVerifier', () => {
  it('accepts the signature in Authorization or x-ms-signature, the algorithm in any case, and a DER certificate', async () => {
    const verify = verifier();
    const h = lower(signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid')));
    expect(await verify(h, Buffer.from(body))).toMatchObject({ ok: true });
    const { authorization, ...rest } = h;
    expect(await verify({ ...rest, 'x-ms-signature': authorization!.replace('Signature ', '') }, Buffer.from(body))).toMatchObject({ ok: true });
    expect(await verify({ ...h, 'x-ms-signature-algorithm': 'RSA-SHA256' }, Buffer.from(body))).toMatchObject({ ok: true });
    const der = lower(signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid').replace('.cer', '.der')));
    expect(await verify(der, Buffer.from(body))).toMatchObject({ ok: true });
  });

  it('allows a host with or without its port as listed, and nothing else', async () => {
    const h = lower(signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid')));
    expect(await verifier({ hosts: ['127.0.0.1'] })(h, Buffer.from(body))).toMatchObject({ ok: true });
    expect(await verifier({ hosts: ['127.0.0.2', `127.0.0.1:1`] })(h, Buffer.from(body))).toEqual({
      ok: false,
      reason: `the certificate host ${pki.host} is not on the allow-list`,
    });
  });

  it('refuses a chain that ends at another CA than the trust anchor', async () => {
    const h = lower(signedHeaders(body, other.keyOf('valid'), other.certUrl('valid')));
    // Fetching over the other PKI's TLS needs its CA; the signing chain must still end at the configured anchor.
    expect(await verifier({ hosts: [other.host], anchors: [pki.caPem] })(h, Buffer.from(body))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cannot fetch the certificate'),
    });
    const fetchOnly = createVerifier({
      allowedHosts: [other.host],
      trustAnchors: [pki.caPem],
      organization: 'Microsoft Corporation',
      fetchCertificate: (url) => fetchWithCa(url, other.caPem),
    });
    expect(await fetchOnly(h, Buffer.from(body))).toEqual({ ok: false, reason: 'the certificate chain does not lead to a trusted anchor' });
    expect(await verifier({ hosts: [other.host], anchors: [other.caPem] })(h, Buffer.from(body))).toMatchObject({ ok: true });
  });

  it('does not remember a failed certificate fetch, and remembers a good one', async () => {
    const verify = verifier();
    const missing = lower(signedHeaders(body, pki.keyOf('valid'), `${pki.url}/cert/missing.cer`));
    const before = pki.fetches();
    for (let i = 0; i < 2; i++) expect(await verify(missing, Buffer.from(body))).toEqual({ ok: false, reason: 'cannot fetch the certificate: the certificate URL answered 404' });
    expect(pki.fetches() - before).toBe(2);
    const good = lower(signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid')));
    for (let i = 0; i < 3; i++) expect(await verify(good, Buffer.from(body))).toMatchObject({ ok: true });
    expect(pki.fetches() - before).toBe(3);
  });

  it('keeps at most 16 certificates: URLs an unsigned caller makes up cannot grow the cache', async () => {
    const verify = verifier();
    const at = (i: number) => lower(signedHeaders(body, pki.keyOf('valid'), `${pki.certUrl('valid')}?v=${i}`));
    const before = pki.fetches();
    for (let i = 0; i < 17; i++) expect(await verify(at(i), Buffer.from(body))).toMatchObject({ ok: true });
    expect(pki.fetches() - before).toBe(17);
    expect(await verify(at(16), Buffer.from(body))).toMatchObject({ ok: true });
    expect(pki.fetches() - before, 'the newest is kept').toBe(17);
    expect(await verify(at(0), Buffer.from(body))).toMatchObject({ ok: true });
    expect(pki.fetches() - before, 'the oldest made room').toBe(18);
  });
});

function fetchWithCa(url: URL, ca: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    }).on('error', reject);
  });
}
