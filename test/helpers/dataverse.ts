/** A Dataverse sandbox and the real connector signed in to it, for the tests of that one connector's HTTP handling. */
import { createDynamicsConnector, type DynamicsConnector } from '../../connectors/dynamics365/index.js';
import { startDynamicsSandbox, type DynamicsSandbox, type DynamicsSandboxOptions } from '../../sandboxes/index.js';
import type { RateConfig } from '../../src/runtime/index.js';

export interface Dataverse {
  sb: DynamicsSandbox;
  c: DynamicsConnector;
  close(): Promise<void>;
}

export async function startDataverse(opts: DynamicsSandboxOptions = {}, rate: Partial<RateConfig> = {}): Promise<Dataverse> {
  const sb = await startDynamicsSandbox({ certDir: '.cosell/test-certs/dynamics365', ...opts });
  const c = createDynamicsConnector({
    url: sb.url,
    apiVersion: '9.2',
    auth: { ...sb.credentials, authority: sb.authority, caPem: sb.caPem },
    rate: { concurrency: 4, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 3, ...rate },
  });
  return { sb, c, close: async () => (await c.close(), await sb.close()) };
}
