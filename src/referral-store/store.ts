/**
 * `startReferralStore`: opens (and migrates) the SQLite file, makes sure the Microsoft and default
 * organizations and their keys exist, optionally seeds demo data, starts the HTTP server and the background
 * timer that runs expiry and Microsoft's decisions. Options are parsed by zod at this boundary.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MICROSOFT_ORG_ID } from '../domain/index.js';
import {
  createFaultInjector,
  type FaultInjector,
  type FaultInput,
  faultSettingsSchema,
  type Logger,
  preparePrivateFile,
  processEnv,
  registerSecret,
  silentLogger,
} from '../runtime/index.js';
import { generateKey, hashKey } from './auth.js';
import { createClock, days } from './clock.js';
import type { StoreContext } from './context.js';
import { DEFAULT_ACTOR, runMicrosoftActor } from './microsoft-actor.js';
import { Repository } from './repository.js';
import { seedDemoData } from './seed.js';
import type { RouteAccess } from './access.js';
import { buildApp } from './server.js';
import { ReferralService } from './service.js';
import { RegistrationRepository } from './registration/repository.js';
import { DEFAULT_REVIEW, RegistrationService } from './registration/service.js';
import { CERTIFICATE_PATH, signingCertificate } from './webhooks/certificate.js';
import { DEFAULT_DELIVERY, WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookRepository } from './webhooks/repository.js';
import { WebhookSubscriptions } from './webhooks/subscriptions.js';

const optionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  dbFile: z.string().min(1),
  apiKey: z.string().min(8).optional(),
  adminKey: z.string().min(8).optional(),
  now: z.iso.datetime({ offset: true }).optional(),
  microsoftActor: z.strictObject({ enabled: z.boolean(), acceptRate: z.number().min(0).max(1), decisionDays: z.number().min(0).max(14), seed: z.number().int() }).optional(),
  seed: z.boolean().default(false),
  /** Name of the default organization when the store file is new. */
  organizationName: z.string().min(1).default('Contoso Partner'),
  /** How often the background timer runs expiry and Microsoft's decisions. */
  tickIntervalMs: z.number().int().min(10).default(60_000),
  /** Initial fault injection (merged over COSELL_STORE_FAULTS). */
  faults: z.custom<FaultInput>((v) => faultSettingsSchema.safeParse(v).success, { error: 'invalid fault settings (see runtime/fault-decision.ts)' }).optional(),
  log: z.custom<Logger>().optional(),
  /** Days Microsoft's reviewer takes for each registration step (store clock). */
  registrationReview: z
    .strictObject({ reviewDays: z.number().min(0), approvalDays: z.number().min(0), actionDays: z.number().min(0) })
    .partial()
    .optional(),
  /** Webhook delivery: attempts before parking, first retry delay (doubling), per-attempt timeout, polling. */
  webhooks: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(100),
      retryBaseMs: z.number().int().min(1),
      timeoutMs: z.number().int().min(10),
      pollMs: z.number().int().min(5),
      concurrency: z.number().int().min(1).max(64),
    })
    .partial()
    .optional(),
});
export type ReferralStoreOptions = z.input<typeof optionsSchema>;

export type KeySource = 'option' | 'env' | 'generated';

export interface ReferralStoreHandle {
  /** e.g. http://127.0.0.1:4700/v1.0/engagements */
  url: string;
  origin: string;
  apiKey: string;
  adminKey: string;
  defaultOrgId: string;
  /** Where each key came from (a generated key must be shown to the operator once). */
  keySources: { apiKey: KeySource; adminKey: KeySource };
  clock: { now(): Date; advanceDays(n: number): Promise<void> };
  /** Run expiry and the Microsoft actor now. */
  tick(): Promise<void>;
  /** Queue new events for registered webhooks and send what is due now (also runs on a timer). */
  deliverWebhooks(): Promise<number>;
  stats(): { requests: number; byRoute: Record<string, number> };
  /** Fault injection on the partner API, with its tally and arrival log. */
  faults: FaultInjector;
  /** Every route with its access rule (the security suite attacks each). */
  routes(): RouteAccess[];
  /** The certificate webhooks are signed with, and the X-MS-Certificate-Url they name (for a receiver in this process). */
  webhookCertificate(): { url: string; der: Buffer };
  close(): Promise<void>;
}

function pick(option: string | undefined, env: string | undefined, prefix: string): { key: string; source: KeySource } {
  if (option) return { key: option, source: 'option' };
  if (env) return { key: env, source: 'env' };
  return { key: generateKey(prefix), source: 'generated' };
}

/** Open (create, migrate) the store file and make sure the Microsoft and default organizations exist. */
function openStore(dbFile: string, start: string | undefined, organizationName: string) {
  if (start && Number.isNaN(new Date(start).getTime())) throw new Error(`COSELL_NOW: '${start}' is not a date/time`);
  preparePrivateFile(dbFile);
  const repo = new Repository(dbFile);
  // The store's time never runs backwards across restarts: days advanced before a restart stay advanced.
  const newest = repo.newestStamp();
  const from = Math.max(start ? new Date(start).getTime() : Date.now(), newest ? new Date(newest).getTime() : 0);
  const clock = createClock(new Date(from));
  clock.observe(newest);
  const nowIso = clock.now().toISOString();
  const defaultOrgId = repo.transaction(() => {
    if (!repo.getOrg(MICROSOFT_ORG_ID)) repo.insertOrg({ id: MICROSOFT_ORG_ID, name: 'Microsoft', solutionAssessmentVetted: true }, nowIso);
    let id = repo.meta('defaultOrgId');
    if (!id) {
      id = randomUUID();
      repo.insertOrg({ id, name: organizationName, solutionAssessmentVetted: true }, nowIso);
      repo.setMeta('defaultOrgId', id);
    }
    return id;
  });
  return { repo, clock, defaultOrgId, nowIso };
}

/** Fill a store file with demo data if it has no referrals yet (`cosell-sync store seed`). */
export function seedReferralStore(dbFile: string, now?: string): { seeded: boolean; referrals: number } {
  const { repo, clock, defaultOrgId } = openStore(dbFile, now ?? processEnv().COSELL_NOW, 'Contoso Partner');
  try {
    if (repo.total() > 0) return { seeded: false, referrals: repo.total() };
    return { seeded: true, referrals: seedDemoData(new ReferralService(repo, clock), repo, defaultOrgId, clock.now()) };
  } finally {
    repo.close();
  }
}

export async function startReferralStore(input: ReferralStoreOptions): Promise<ReferralStoreHandle> {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) throw new Error(`referral store options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const opts = parsed.data;
  const log = opts.log ?? silentLogger;
  const env = processEnv();
  const { repo, clock, defaultOrgId, nowIso } = openStore(opts.dbFile, opts.now ?? env.COSELL_NOW, opts.organizationName);
  repo.refreshStatistics();
  const api = pick(opts.apiKey, env.COSELL_STORE_API_KEY, 'cs');
  const admin = pick(opts.adminKey, env.COSELL_STORE_ADMIN_KEY, 'csadmin');
  // Keys are secrets: masked in every log line from here on; a generated one is shown by the caller (CLI).
  registerSecret(api.key);
  registerSecret(admin.key);
  for (const [what, k, envName] of [
    ['API key', api, 'COSELL_STORE_API_KEY'],
    ['admin key', admin, 'COSELL_STORE_ADMIN_KEY'],
  ] as const) {
    if (k.source === 'generated') log.warn(`referral store: ${envName} is not set; generated an ${what} for this run`);
  }
  // A generated key replaces the previous generated one; configured keys stay valid until removed.
  repo.addKey(hashKey(api.key), defaultOrgId, api.source === 'generated' ? 'generated' : 'configured', nowIso, api.source === 'generated');

  const actor = opts.microsoftActor ?? DEFAULT_ACTOR;
  const service = new ReferralService(repo, clock);
  const registrations = new RegistrationService(repo, new RegistrationRepository(repo.db), service, clock, { ...DEFAULT_REVIEW, ...opts.registrationReview });
  let origin = '';
  let certificate;
  try {
    certificate = await signingCertificate(repo, clock.now());
  } catch (err) {
    repo.close();
    throw err;
  }
  const hooks = new WebhookRepository(repo.db);
  const subscriptions = new WebhookSubscriptions(
    repo,
    hooks,
    () => clock.now().toISOString(),
    (id) => `${origin}/webhooks/v1/registration/validationEvents/${encodeURIComponent(id)}`,
  );
  const faults = createFaultInjector({ ...env.COSELL_STORE_FAULTS, ...opts.faults });
  let base = '';
  const tick = async () => {
    repo.refreshStatistics();
    const decided = runMicrosoftActor(repo, service, clock, actor);
    const expired = service.expireDue();
    const reviewed = registrations.reviewDue();
    if (decided || expired || reviewed) log.info('referral store tick', { decided, expired, reviewed });
    return { expired, decided, reviewed };
  };
  const advanceDays = async (n: number) => {
    clock.advance(days(n));
    await tick();
  };
  const ctx: StoreContext = {
    repo,
    service,
    clock,
    faults,
    actor,
    log,
    adminKeyHash: hashKey(admin.key),
    base: () => base,
    tick,
    advanceDays,
    stats: { requests: 0, byRoute: {} },
    registrations,
    webhooks: { subscriptions, hooks, certificateDer: certificate.der },
  };
  const dispatcher = new WebhookDispatcher(
    repo,
    hooks,
    { privateKeyPem: certificate.privateKeyPem, certificateUrl: () => `${origin}${CERTIFICATE_PATH}` },
    () => base,
    { ...DEFAULT_DELIVERY, ...opts.webhooks },
    log,
  );
  if (opts.seed && repo.total() === 0) {
    const n = seedDemoData(service, repo, defaultOrgId, clock.now());
    log.info('referral store seeded with demo data', { referrals: n });
  }

  const { app, routes } = buildApp(ctx, defaultOrgId);
  try {
    await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    repo.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  origin = `http://${host}:${port}`;
  base = `${origin}/v1.0/engagements`;
  const timer = setInterval(() => {
    tick().catch((err: unknown) => log.error('referral store tick failed', { error: (err as Error).message }));
  }, opts.tickIntervalMs);
  timer.unref();
  dispatcher.start();
  log.info('referral store listening', { url: base, db: opts.dbFile });

  let closed = false;
  return {
    url: base,
    origin,
    apiKey: api.key,
    adminKey: admin.key,
    defaultOrgId,
    keySources: { apiKey: api.source, adminKey: admin.source },
    clock: { now: () => clock.now(), advanceDays },
    tick: async () => {
      await tick();
    },
    stats: () => structuredClone(ctx.stats),
    deliverWebhooks: () => dispatcher.pump(),
    faults,
    routes,
    webhookCertificate: () => ({ url: `${origin}${CERTIFICATE_PATH}`, der: certificate.der }),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await dispatcher.stop();
      await app.close();
      repo.close();
    },
  };
}
