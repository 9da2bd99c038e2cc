/**
 * `cosell-sync store serve|seed`: run the embedded referral store on its own (a staging target for admins),
 * or fill a store file with demo data. Keys come from the environment; a generated key is printed once.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { createLogger } from '../../runtime/index.js';
import type { KeySource } from '../../referral-store/index.js';

const DEFAULT_DB = '.cosell/store.db';

const serveOptions = z.strictObject({
  port: z.coerce.number().int().min(0).max(65_535).default(4700),
  host: z.string().default('127.0.0.1'),
  db: z.string().min(1).default(DEFAULT_DB),
  seed: z.boolean().default(false),
  actor: z.boolean().default(true),
  now: z.iso.datetime({ offset: true }).optional(),
});

function parseOptions<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

function describeKey(what: string, env: string, source: KeySource, value: string, showGenerated: boolean): string {
  if (source === 'env') return `${what}: from ${env}`;
  if (source === 'option') return `${what}: from options`;
  return showGenerated ? `${what}: generated for this run (set ${env} to choose one): ${value}` : `${what}: generated`;
}

export function registerStore(program: Command): void {
  const store = program.command('store').description('the embedded referral store (Partner Center Referrals-compatible API over SQLite)');

  store
    .command('serve')
    .description('run the referral store until stopped (Ctrl-C)')
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', '4700')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--db <file>', 'SQLite file', DEFAULT_DB)
    .option('--seed', 'fill an empty store with demo data')
    .option('--no-actor', "do not simulate Microsoft sellers' decisions")
    .option('--now <iso>', 'start the store clock at this instant (default COSELL_NOW, else real time)')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(serveOptions, raw);
      const log = createLogger({ level: 'info' });
      const { startReferralStore } = await import('../../referral-store/index.js');
      const handle = await startReferralStore({
        port: o.port,
        host: o.host,
        dbFile: o.db,
        seed: o.seed,
        log,
        ...(o.now ? { now: o.now } : {}),
        microsoftActor: { enabled: o.actor, acceptRate: 0.7, decisionDays: 2, seed: 42 },
      });
      // Hook the stop signals before printing: a caller that stops the store on seeing its URL must not race us.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info('referral store stopping', { signal });
          handle.close().then(resolve, (err: unknown) => {
            log.error('referral store did not close cleanly', { error: (err as Error).message });
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      const out = process.stdout;
      out.write(`referral store: ${handle.url}\n`);
      out.write(`  database: ${o.db}\n`);
      out.write(`  default organization: ${handle.defaultOrgId}\n`);
      out.write(`  ${describeKey('API key', 'COSELL_STORE_API_KEY', handle.keySources.apiKey, handle.apiKey, true)}\n`);
      // The admin key is only ever printed when this process made it up.
      out.write(`  ${describeKey('admin key', 'COSELL_STORE_ADMIN_KEY', handle.keySources.adminKey, handle.adminKey, true)}\n`);
      await stopped;
    });

  store
    .command('seed')
    .description('fill a store file with demo data (all deal types and stages, inbound from Microsoft, a P2P pair)')
    .option('--db <file>', 'SQLite file', DEFAULT_DB)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(z.strictObject({ db: z.string().min(1) }), raw);
      const { seedReferralStore } = await import('../../referral-store/index.js');
      const r = seedReferralStore(o.db);
      process.stdout.write(r.seeded ? `seeded ${o.db}: ${r.referrals} referrals\n` : `${o.db} already holds ${r.referrals} referrals; nothing seeded\n`);
    });
}
