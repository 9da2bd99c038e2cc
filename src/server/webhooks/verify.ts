/**
 * Verifies a Partner Center webhook delivery the way Microsoft documents it: `Authorization: Signature
 * <base64>` (or `x-ms-signature`), `X-MS-Signature-Algorithm: rsa-sha256`, and `X-MS-Certificate-Url` naming
 * the signing certificate. The certificate URL must be HTTPS on an allow-listed host; the certificate is fetched
 * (and cached), its chain checked up to a configured trust anchor (dates, issuer signatures), its subject's
 * organization checked, and then RSA-SHA256 is verified over the raw body bytes. Every refusal says why.
 */
import { X509Certificate } from 'node:crypto';
import { get } from 'node:https';
import { rootCertificates } from 'node:tls';
import { readWebhookSignature, verifyWebhookBody } from '../../runtime/index.js';

export interface VerifierOptions {
  /** Hosts (`host` or `host:port`) the certificate may come from. */
  allowedHosts: readonly string[];
  /** PEM certificates a chain must end at; default: Node's public roots. */
  trustAnchors?: readonly string[];
  /** Required `O=` of the certificate's subject. */
  organization: string;
  now?: () => Date;
  /** How long a fetched certificate is reused. */
  cacheMs?: number;
  /** Fetch the certificate file (tests may pass their own); default: HTTPS GET trusting the anchors too. */
  fetchCertificate?: (url: URL) => Promise<Buffer>;
  /**
   * Certificates known in this process by their exact URL (the embedded referral store's own): used as they are,
   * with no fetch, chain or organization check — only the signature over the body decides.
   */
  pinned?: readonly { url: string; certificate: Buffer }[];
}

export type Verdict = { ok: true; certificate: X509Certificate } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

/** PEM blocks or one DER certificate. */
export function parseCertificates(data: Buffer): X509Certificate[] {
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [new X509Certificate(data)];
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

function httpsFetcher(anchors: readonly string[]): (url: URL) => Promise<Buffer> {
  const ca = [...rootCertificates, ...anchors];
  return (url) =>
    new Promise((resolve, reject) => {
      const req = get(url, { ca, timeout: 10_000 }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`the certificate URL answered ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 64 * 1024) req.destroy(new Error('the certificate file is larger than 64 KB'));
          else chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('fetching the certificate timed out')));
      req.on('error', reject);
    });
}

const CACHE_ENTRIES = 16;

const within = (c: X509Certificate, at: Date) => Date.parse(c.validFrom) <= at.getTime() && at.getTime() <= Date.parse(c.validTo);
const organizationOf = (c: X509Certificate) => /(?:^|\n)O=([^\n]*)/.exec(c.subject)?.[1];

/** Walk leaf → intermediates (from the fetched file) → an anchor; each link checked by signature and dates. */
function chainProblem(leaf: X509Certificate, intermediates: X509Certificate[], anchors: X509Certificate[], at: Date): string | null {
  let cert = leaf;
  for (let depth = 0; depth < 6; depth++) {
    if (!within(cert, at)) return `certificate '${cert.subject.replace(/\n/g, ', ')}' is not valid at ${at.toISOString()} (valid ${cert.validFrom} – ${cert.validTo})`;
    const anchor = anchors.find((a) => cert.checkIssued(a) && cert.verify(a.publicKey));
    if (anchor) return within(anchor, at) ? null : 'the trust anchor has expired';
    const issuer = intermediates.find((i) => i !== cert && cert.checkIssued(i) && cert.verify(i.publicKey));
    if (!issuer)
      return cert.subject === cert.issuer && cert.verify(cert.publicKey)
        ? 'the certificate is self-signed and not a trust anchor'
        : 'the certificate chain does not lead to a trusted anchor';
    cert = issuer;
  }
  return 'the certificate chain is too long';
}

export function createVerifier(opts: VerifierOptions): (headers: Headers, rawBody: Buffer) => Promise<Verdict> {
  const anchors = (opts.trustAnchors ?? rootCertificates).flatMap((pem) => parseCertificates(Buffer.from(pem)));
  const fetchCert = opts.fetchCertificate ?? httpsFetcher(opts.trustAnchors ?? []);
  const now = opts.now ?? (() => new Date());
  const cacheMs = opts.cacheMs ?? 3_600_000;
  const cache = new Map<string, { at: number; certs: Promise<X509Certificate[]> }>();
  const allowed = new Set(opts.allowedHosts.map((h) => h.toLowerCase()));

  const certificatesAt = (url: URL): Promise<X509Certificate[]> => {
    const hit = cache.get(url.href);
    if (hit && Date.now() - hit.at < cacheMs) return hit.certs;
    const certs = fetchCert(url).then(parseCertificates);
    // Bounded: unsigned requests can name any URL on an allowed host; the oldest entry makes room.
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(url.href, { at: Date.now(), certs });
    // A failed fetch is not remembered: the next delivery tries again.
    certs.catch(() => cache.delete(url.href));
    return certs;
  };

  const pinned = new Map((opts.pinned ?? []).map((p) => [p.url, new X509Certificate(p.certificate)]));
  const signed = (rawBody: Buffer, signature: string, cert: X509Certificate): Verdict =>
    verifyWebhookBody(rawBody, signature, cert.raw) ? { ok: true, certificate: cert } : { ok: false, reason: 'the signature does not match the body' };

  return async (headers, rawBody) => {
    const sig = readWebhookSignature(headers);
    if (!sig.ok) return sig;
    const { signature, certificateUrl: certUrl } = sig;
    const own = pinned.get(certUrl);
    if (own) return signed(rawBody, signature, own);
    let url: URL;
    try {
      url = new URL(certUrl);
    } catch {
      return { ok: false, reason: 'X-MS-Certificate-Url is missing or not a URL' };
    }
    if (url.protocol !== 'https:') return { ok: false, reason: 'the certificate URL is not HTTPS' };
    if (!allowed.has(url.host.toLowerCase()) && !allowed.has(url.hostname.toLowerCase())) {
      return { ok: false, reason: `the certificate host ${url.host} is not on the allow-list` };
    }
    let certs: X509Certificate[];
    try {
      certs = await certificatesAt(url);
    } catch (err) {
      return { ok: false, reason: `cannot fetch the certificate: ${(err as Error).message}` };
    }
    const [leaf, ...rest] = certs;
    if (!leaf) return { ok: false, reason: 'the certificate file holds no certificate' };
    const problem = chainProblem(leaf, rest, anchors, now());
    if (problem) return { ok: false, reason: problem };
    const org = organizationOf(leaf);
    if (org !== opts.organization) return { ok: false, reason: `the certificate's organization is '${org ?? '(none)'}', expected '${opts.organization}'` };
    if (leaf.publicKey.asymmetricKeyType !== 'rsa') return { ok: false, reason: 'the certificate key is not RSA' };
    return signed(rawBody, signature, leaf);
  };
}
