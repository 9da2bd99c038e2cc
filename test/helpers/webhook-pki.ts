/**
 * A test PKI for Partner Center-shaped webhooks: a root CA, signing certificates (valid, expired, self-signed,
 * wrong organization) and an HTTPS server on loopback that serves them the way Partner Center serves its
 * certificate (X-MS-Certificate-Url), counting fetches.
 */
import { sign, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface Pki {
  caPem: string;
  /** Base URL of the certificate server, e.g. https://127.0.0.1:1234 */
  url: string;
  host: string;
  /** The certificate server's own key and certificate (for 127.0.0.1, signed by the CA), for other TLS servers in a test. */
  tls: { key: string; cert: string };
  certUrl(name: CertName): string;
  keyOf(name: CertName): string;
  fetches(): number;
  close(): Promise<void>;
}

export type CertName = 'valid' | 'expired' | 'self-signed' | 'wrong-org';

const DAY = 86_400_000;

export async function startPki(): Promise<Pki> {
  const ca = await generate(
    [
      { name: 'commonName', value: 'cosell test root' },
      { name: 'organizationName', value: 'cosell test CA' },
    ],
    {
      algorithm: 'sha256',
      keySize: 2048,
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
      ],
    },
  );
  const caOpt = { key: ca.private, cert: ca.cert };
  const leaf = (org: string, opts: { notBeforeDate?: Date; notAfterDate?: Date; selfSigned?: boolean } = {}) =>
    generate(
      [
        { name: 'commonName', value: 'pcnotifications' },
        { name: 'organizationName', value: org },
      ],
      {
        algorithm: 'sha256',
        keySize: 2048,
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true },
        ],
        ...(opts.selfSigned ? {} : { ca: caOpt }),
        ...(opts.notBeforeDate ? { notBeforeDate: opts.notBeforeDate } : {}),
        ...(opts.notAfterDate ? { notAfterDate: opts.notAfterDate } : {}),
      },
    );
  const certs: Record<CertName, { cert: string; private: string }> = {
    valid: await leaf('Microsoft Corporation'),
    expired: await leaf('Microsoft Corporation', { notBeforeDate: new Date(Date.now() - 30 * DAY), notAfterDate: new Date(Date.now() - DAY) }),
    'self-signed': await leaf('Microsoft Corporation', { selfSigned: true }),
    'wrong-org': await leaf('Contoso Ltd'),
  };
  const tls = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    algorithm: 'sha256',
    keySize: 2048,
    ca: caOpt,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  let fetches = 0;
  const server: Server = createServer({ key: tls.private, cert: tls.cert }, (req, res) => {
    const m = /^\/cert\/([a-z-]+)\.(cer|der)(\?.*)?$/.exec(req.url ?? '');
    const c = m ? certs[m[1] as CertName] : undefined;
    fetches++;
    if (!c) return void res.writeHead(404).end();
    // .cer as PEM, .der as the binary form (Partner Center's .cer files may be either).
    if (m![2] === 'der') res.writeHead(200, { 'Content-Type': 'application/pkix-cert' }).end(new X509Certificate(c.cert).raw);
    else res.writeHead(200, { 'Content-Type': 'application/x-pem-file' }).end(c.cert);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    caPem: ca.cert,
    url: `https://${host}`,
    host,
    tls: { key: tls.private, cert: tls.cert },
    certUrl: (name) => `https://${host}/cert/${name}.cer`,
    keyOf: (name) => certs[name].private,
    fetches: () => fetches,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Headers Partner Center sends with an event signed by `key`. */
export function signedHeaders(body: string, key: string, certUrl: string, algorithm = 'rsa-sha256'): Record<string, string> {
  return {
    Authorization: `Signature ${sign('RSA-SHA256', Buffer.from(body, 'utf8'), key).toString('base64')}`,
    'X-MS-Certificate-Url': certUrl,
    'X-MS-Signature-Algorithm': algorithm,
    'Content-Type': 'application/json',
  };
}
