/**
 * `cosell-sync setup salesforce|dynamics365`: create (or package) the co-sell fields in a real CRM.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DynamicsConnector } from '../../../connectors/dynamics365/index.js';
import { ConfigError } from '../../runtime/index.js';
import { cliContext, connectionNamed } from '../context.js';

export function registerSetup(program: Command): void {
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
      const [{ buildDeployPackage, checkFields, CUSTOM_OPPORTUNITY_FIELDS, writeDeployPackage }, { openConnection }] = await Promise.all([
        import('../../../connectors/salesforce/index.js'),
        import('../service.js'),
      ]);
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
        process.stdout.write(
          `${fields.length} field(s) packaged in ${resolve(o.out)} (${written.length} files).\nDeploy with your usual tooling, e.g.: sf project deploy start --metadata-dir ${o.out}\nthen assign the permission set to the integration user.\n`,
        );
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
      const { openConnection } = await import('../service.js');
      const open = await openConnection(config, conn, log);
      try {
        const names = await (open.crm as DynamicsConnector).createMissingColumns(o.dryRun === true);
        process.stdout.write(names.length ? `${o.dryRun ? 'would create' : 'created'}: ${names.join(', ')}\n` : `${o.connection}: all co-sell columns exist\n`);
      } finally {
        await open.close();
      }
    });
}
