/** `cosell-sync mappings validate|check|suggest|preview`: the admin's tools for mapping files. */
import type { Command } from 'commander';
import type { Mapping } from '../../mapping/index.js';
import { formatProblem, resolveFromConfig } from '../../runtime/index.js';
import { cliContext, connectionNamed, table } from '../context.js';
import type { OpenConnection } from '../service.js';

const admin = () => import('../../admin/index.js');

/** Open a connection's CRM with its mapping, run `fn`, and always close it again. */
async function withConnection<T>(cmd: Command, name: string, fn: (o: { crm: OpenConnection['crm']; mapping: Mapping }) => Promise<T>): Promise<T> {
  const { config, log } = cliContext(cmd);
  const conn = connectionNamed(config, name);
  const [{ loadMapping }, { openConnection }] = await Promise.all([import('../../mapping/index.js'), import('../service.js')]);
  const mapping = loadMapping(resolveFromConfig(config, conn.mapping));
  const open = await openConnection(config, conn, log);
  try {
    return await fn({ crm: open.crm, mapping });
  } finally {
    await open.close();
  }
}

export function registerMappings(program: Command): void {
  const mappings = program.command('mappings').description('validate, check, suggest and preview mapping files');

  mappings
    .command('validate')
    .argument('[file]', 'a mapping file (default: every connection’s mapping)')
    .description('report every problem at once with file:line:column; exit 1 on errors')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const { validateMappingFile } = await admin();
      const files = file
        ? [file]
        : (() => {
            const { config } = cliContext(cmd);
            return config.connections.map((c) => resolveFromConfig(config, c.mapping));
          })();
      let errors = 0;
      for (const f of files) {
        const r = validateMappingFile(f);
        if (r.ok) process.stdout.write(`${f}: ok\n`);
        else {
          errors += r.problems.length;
          for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
        }
      }
      if (errors) {
        process.stdout.write(`${errors} problem(s)\n`);
        process.exitCode = 1;
      }
    });

  mappings
    .command('check')
    .requiredOption('--connection <name>')
    .description('check the mapping against the live CRM: unmapped stages, missing fields, write-back fields')
    .action((opts: { connection: string }, cmd: Command) =>
      withConnection(cmd, opts.connection, async ({ crm, mapping: m }) => {
        const findings = await (await admin()).checkAgainstCrm(crm, m);
        if (findings.length === 0) process.stdout.write(`${opts.connection}: the mapping matches the CRM\n`);
        for (const f of findings) process.stdout.write(`${f.level === 'error' ? '✖' : '!'} ${f.message}${f.hint ? ` — ${f.hint}` : ''}\n`);
        if (findings.some((f) => f.level === 'error')) process.exitCode = 1;
      }),
    );

  mappings
    .command('suggest')
    .requiredOption('--connection <name>')
    .description("propose stage rules from the CRM's stage probabilities and names, as YAML to review and paste")
    .action((opts: { connection: string }, cmd: Command) =>
      withConnection(cmd, opts.connection, async ({ crm, mapping: m }) => {
        process.stdout.write(await (await admin()).suggestFromCrm(crm, m));
      }),
    );

  mappings
    .command('preview')
    .requiredOption('--connection <name>')
    .requiredOption('--record <id>')
    .description('show the deal one CRM record maps to: type, stage, every field with its source, every problem')
    .action((opts: { connection: string; record: string }, cmd: Command) =>
      withConnection(cmd, opts.connection, async ({ crm, mapping: m }) => {
        const p = await (await admin()).previewCrmRecord(crm, m, opts.record, opts.connection);
        process.stdout.write(`deal type: ${p.dealType}\nstage: ${p.stage}${p.percent !== null ? ` (${p.percent} %)` : ''}\n\n`);
        process.stdout.write(table(p.fields.map((f) => ({ field: f.key, from: f.source, value: f.value }))));
        process.stdout.write(p.problems.length ? `\nproblems:\n${p.problems.map((x) => `  ✖ ${x.path}: ${x.message}`).join('\n')}\n` : '\nno problems: this record would sync\n');
      }),
    );
}
