/**
 * The config of a service with its HTTP surface on loopback: the embedded store (unseeded, no Microsoft actor),
 * one Salesforce sandbox connection, the server on a random port trusting the test PKI for webhooks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from './webhook-pki.js';

export function writeSurfaceConfig(
  dir: string,
  o: { pki: Pki; mapping: string; schedule: string; seed: number; readEnv: string; adminEnv: string; jsonLogs?: boolean; subscribeEmbeddedStore?: boolean },
): string {
  writeFileSync(join(dir, 'ca.pem'), o.pki.caPem);
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `
state: { path: ${join(dir, 'state.db')} }
${o.jsonLogs ? 'log: { level: info, format: json }' : ''}
referrals:
  target: store
  embedded: { port: 0, db: ${join(dir, 'store.db')}, seed: false, microsoftActor: { enabled: false } }
  auth: { method: api-key, apiKeyEnv: COSELL_STORE_API_KEY }
  rate: { concurrency: 16, intervalCap: 10000, intervalMs: 1000 }
  incremental: { mode: filter, overlapSeconds: 5 }
connections:
  - name: sf
    crm: { kind: salesforce, sandbox: { port: 0, seed: ${o.seed}, activity: false } }
    mapping: ${o.mapping}
    schedule: "${o.schedule}"
server:
  port: 0
  tokens: { readEnv: ${o.readEnv}, adminEnv: ${o.adminEnv} }
  webhooks: { allowedCertificateHosts: ["${o.pki.host}"], trustAnchorFile: ca.pem, subscribeEmbeddedStore: ${o.subscribeEmbeddedStore ?? false} }
`,
  );
  return file;
}
