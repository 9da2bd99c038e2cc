/**
 * `cosell-sync sandbox salesforce|dynamics365`: run a CRM sandbox on its own (for admins trying mappings and
 * for manual exploration); prints its URL and the credentials it accepts, runs until SIGINT/SIGTERM.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger, onShutdownSignal } from '../../runtime/index.js';

interface SandboxFlags {
  port: string;
  seed: string;
  activity: boolean;
  stateDir: string;
}

/** Where a sandbox keeps the keys and certificates it generates (kept across runs so clients stay trusted). */
const certDirOf = (o: SandboxFlags, kind: string) => join(resolve(o.stateDir), 'sandbox-certs', kind);

/** Print the banner only once the stop signals are hooked, so a caller that stops us on seeing it never races us. */
async function runUntilStopped(banner: string, close: () => Promise<void>): Promise<void> {
  const stopped = new Promise<void>((done) => onShutdownSignal(() => done()));
  process.stdout.write(banner);
  await stopped;
  await close();
}

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('run a local CRM sandbox (Salesforce or Dynamics 365) on 127.0.0.1')
    .addHelpText(
      'after',
      '\nEach sandbox writes its keys and certificates to <state-dir>/sandbox-certs/<kind>/ (default ./.cosell, in the current folder) and reuses them on the next start.',
    );
  const flags = (c: Command) =>
    c
      .option('--port <n>', 'port (0 = any free port)', '0')
      .option('--seed <n>', 'demo opportunities to seed', '200')
      .option('--no-activity', 'no simulated sales reps')
      .option('--state-dir <dir>', 'where keys and certificates are written (<dir>/sandbox-certs/<kind>/)', '.cosell');

  flags(sandbox.command('salesforce').description('a local Salesforce REST API (OAuth, SOQL, sObjects, collections, describe, limits)')).action(async (o: SandboxFlags) => {
    const log = createLogger();
    const certDir = certDirOf(o, 'salesforce');
    const { startSalesforceSandbox } = await import('../../../sandboxes/index.js');
    const sb = await startSalesforceSandbox({ port: Number(o.port), seed: Number(o.seed), activity: o.activity, certDir, log });
    await runUntilStopped(`Salesforce sandbox on ${sb.url} (keys in ${certDir})\n\n${sb.describe()}\n\nCtrl-C to stop.\n`, () => sb.close());
  });

  flags(sandbox.command('dynamics365').description('a local Dataverse Web API v9.2 and Entra ID token endpoint over HTTPS')).action(async (o: SandboxFlags) => {
    const log = createLogger();
    const certDir = certDirOf(o, 'dynamics365');
    const { startDynamicsSandbox } = await import('../../../sandboxes/index.js');
    const sb = await startDynamicsSandbox({ port: Number(o.port), seed: Number(o.seed), activity: o.activity, certDir, log });
    await runUntilStopped(`Dynamics 365 sandbox on ${sb.url} (keys and CA in ${certDir})\n\n${sb.describe()}\n\nCtrl-C to stop.\n`, () => sb.close());
  });
}
