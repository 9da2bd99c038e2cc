/**
 * The sandbox speaks HTTPS (msal-node refuses a plain-http authority): a CA and a leaf certificate for
 * localhost / 127.0.0.1, generated once and cached. Clients trust the CA explicitly — TLS checks stay on.
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

export async function sandboxCerts(dir: string): Promise<SandboxCerts> {
  mkdirSync(dir, { recursive: true });
  const caFile = resolve(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  const keyFile = join(dir, 'localhost-key.pem');
  const certFile = join(dir, 'localhost.pem');
  if (![caFile, caKeyFile, keyFile, certFile].every(existsSync)) {
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
    writeFileSync(caKeyFile, ca.private, { mode: 0o600 });
    writeFileSync(caFile, ca.cert);
    writeFileSync(keyFile, leaf.private, { mode: 0o600 });
    writeFileSync(certFile, leaf.cert);
  }
  return { caPem: readFileSync(caFile, 'utf8'), caFile, keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
}
