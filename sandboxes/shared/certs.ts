/**
 * The sandboxes' self-signed material, generated once per folder and cached there (key files mode 0600): the
 * Dataverse sandbox's HTTPS CA and leaf (msal-node refuses a plain-http authority; clients trust the CA
 * explicitly, TLS checks stay on) and the Salesforce sandbox's JWT bearer key pair.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';

export interface SandboxCerts {
  caPem: string;
  caFile: string;
  keyPem: string;
  certPem: string;
}

/** The named files of `dir`: read back as they are, or first made (all of them) when one is missing. */
async function cached<K extends string>(
  dir: string,
  files: Record<K, { name: string; secret?: boolean }>,
  make: () => Promise<Record<K, string>>,
): Promise<Record<K, { path: string; pem: string }>> {
  mkdirSync(dir, { recursive: true });
  const keys = Object.keys(files) as K[];
  const path = (k: K) => resolve(join(dir, files[k].name));
  if (!keys.every((k) => existsSync(path(k)))) {
    const made = await make();
    for (const k of keys) writeFileSync(path(k), made[k], files[k].secret ? { mode: 0o600 } : {});
  }
  return Object.fromEntries(keys.map((k) => [k, { path: path(k), pem: readFileSync(path(k), 'utf8') }])) as Record<K, { path: string; pem: string }>;
}

/** A CA and a leaf certificate for localhost / 127.0.0.1 that it signed. */
export async function sandboxCerts(dir: string): Promise<SandboxCerts> {
  const files = await cached(
    dir,
    { ca: { name: 'ca.pem' }, caKey: { name: 'ca-key.pem', secret: true }, key: { name: 'localhost-key.pem', secret: true }, cert: { name: 'localhost.pem' } },
    async () => {
      const notAfterDate = new Date(Date.now() + 5 * 365 * 86_400_000);
      const ca = await generate([{ name: 'commonName', value: 'cosell-sync sandbox CA' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate,
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
      });
      const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
        keySize: 2048,
        algorithm: 'sha256',
        notAfterDate,
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
      });
      return { ca: ca.cert, caKey: ca.private, key: leaf.private, cert: leaf.cert };
    },
  );
  return { caPem: files.ca.pem, caFile: files.ca.path, keyPem: files.key.pem, certPem: files.cert.pem };
}

/** A self-signed key pair whose certificate a connected app holds (the JWT bearer flow). */
export async function jwtKeyPair(dir: string, commonName: string): Promise<{ privateKeyPem: string; certificatePem: string; certFile: string; keyFile: string }> {
  const files = await cached(dir, { key: { name: 'jwt-private-key.pem', secret: true }, cert: { name: 'jwt-certificate.pem' } }, async () => {
    const pems = await generate([{ name: 'commonName', value: commonName }], { keySize: 2048, algorithm: 'sha256' });
    return { key: pems.private, cert: pems.cert };
  });
  return { privateKeyPem: files.key.pem, certificatePem: files.cert.pem, certFile: files.cert.path, keyFile: files.key.path };
}
