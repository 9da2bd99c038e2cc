/**
 * `cosell-sync sandbox salesforce|dynamics365`: run a CRM sandbox on its own (for admins trying mappings and
 * for manual exploration); prints its URL and the credentials it accepts, runs until SIGINT/SIGTERM.
 * `cosell-sync setup salesforce|dynamics365`: create (or package) the co-sell fields in a real CRM.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkFields, CUSTOM_OPPORTUNITY_FIELDS, buildDeployPackage, startSalesforceSandbox, writeDeployPackage } from '../../../connectors/salesforce/index.js';
import { startDynamicsSandbox, type DynamicsConnector } from '../../../connectors/dynamics365/index.js';
import { ConfigError, createLogger, onShutdownSignal } from '../../runtime/index.js';
import { cliContext, connectionNamed } from '../context.js';
import { openConnection } from '../service.js';

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

export function registerSandboxAndSetup(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('run a local CRM sandbox (Salesforce or Dynamics 365) on 127.0.0.1')
    .addHelpText('after', '\nEach sandbox writes its keys and certificates to <state-dir>/sandbox-certs/<kind>/ (default ./.cosell, in the current folder) and reuses them on the next start.');
  const flags = (c: Command) =>
    c
      .option('--port <n>', 'port (0 = any free port)', '0')
      .option('--seed <n>', 'demo opportunities to seed', '200')
      .option('--no-activity', 'no simulated sales reps')
      .option('--state-dir <dir>', 'where keys and certificates are written (<dir>/sandbox-certs/<kind>/)', '.cosell');

  flags(sandbox.command('salesforce').description('a local Salesforce REST API (OAuth, SOQL, sObjects, collections, describe, limits)')).action(async (o: SandboxFlags) => {
    const log = createLogger();
    const certDir = certDirOf(o, 'salesforce');
    const sb = await startSalesforceSandbox({ port: Number(o.port), seed: Number(o.seed), activity: o.activity, certDir, log });
    await runUntilStopped(`Salesforce sandbox on ${sb.url} (keys in ${certDir})\n\n${sb.describe()}\n\nCtrl-C to stop.\n`, () => sb.close());
  });

  flags(sandbox.command('dynamics365').description('a local Dataverse Web API v9.2 and Entra ID token endpoint over HTTPS')).action(async (o: SandboxFlags) => {
    const log = createLogger();
    const certDir = certDirOf(o, 'dynamics365');
    const sb = await startDynamicsSandbox({ port: Number(o.port), seed: Number(o.seed), activity: o.activity, certDir, log });
    await runUntilStopped(`Dynamics 365 sandbox on ${sb.url} (keys and CA in ${certDir})\n\n${sb.describe()}\n\nCtrl-C to stop.\n`, () => sb.close());
  });

  const setup = program.command('setup').description('create the co-sell fields a mapping writes back to');
  setup
    .command('salesforce')
    .requiredOption('--connection <name>')
    .option('--out <dir>', 'where to write the deploy package', 'cosell-salesforce-package')
    .option('--all', 'package every co-sell field, not only the missing ones')
    .description('write a Metadata API deploy package (package.xml, Opportunity fields, a permission set) for the missing fields')
    .action(async (o: { connection: string; out: string; all?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const conn = connectionNamed(config, o.connection);
      if (conn.crm.kind !== 'salesforce') throw new ConfigError(`connection ${o.connection} is not a Salesforce connection`, config.file);
      const open = await openConnection(config, conn, log);
      try {
        const check = checkFields(CUSTOM_OPPORTUNITY_FIELDS, await open.crm.describeFields());
        for (const m of check.mismatched) process.stdout.write(`! ${m.name} exists as ${m.actual}, expected ${m.expected}\n`);
        const fields = o.all ? CUSTOM_OPPORTUNITY_FIELDS : check.missing;
        if (fields.length === 0) {
          process.stdout.write(`${o.connection}: all ${check.existing.length} co-sell fields exist\n`);
          return;
        }
        const written = writeDeployPackage(resolve(o.out), buildDeployPackage(fields, conn.crm.apiVersion));
        process.stdout.write(`${fields.length} field(s) packaged in ${resolve(o.out)} (${written.length} files).\nDeploy with your usual tooling, e.g.: sf project deploy start --metadata-dir ${o.out}\nthen assign the permission set to the integration user.\n`);
      } finally {
        await open.close();
      }
    });
  setup
    .command('dynamics365')
    .requiredOption('--connection <name>')
    .option('--dry-run', 'only print what would be created')
    .description('create the missing co-sell columns on the opportunity table through EntityDefinitions')
    .action(async (o: { connection: string; dryRun?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const conn = connectionNamed(config, o.connection);
      if (conn.crm.kind !== 'dynamics365') throw new ConfigError(`connection ${o.connection} is not a Dynamics 365 connection`, config.file);
      const open = await openConnection(config, conn, log);
      try {
        const names = await (open.crm as DynamicsConnector).createMissingColumns(o.dryRun === true);
        process.stdout.write(names.length ? `${o.dryRun ? 'would create' : 'created'}: ${names.join(', ')}\n` : `${o.connection}: all co-sell columns exist\n`);
      } finally {
        await open.close();
      }
    });
}
