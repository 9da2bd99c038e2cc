/**
 * The composition root of the service: from a config, start what is embedded (the referral store, the CRM
 * sandboxes), build the referrals client, the connectors, the compiled mappings and the state, and hand out one
 * `runCycle` per connection. Nothing else in the project knows how these pieces are wired.
 *
 * What only some configs need — a sandbox, the embedded store, one CRM's connector, the webhook registration — is
 * imported when the config asks for it, so a sync process holds no server code it does not run.
 */
import { randomBytes } from 'node:crypto';
import type { CrmConnector } from '../../connectors/index.js';
import type { DynamicsSandbox, SalesforceSandbox } from '../../sandboxes/index.js';
import { compileMapping, loadMapping, type CompiledMapping, type Mapping } from '../mapping/index.js';
import { apiKeyProvider, createReferralsClient, providerFromConfig, type ReferralsClient } from '../partner-center/index.js';
import type { ReferralStoreHandle } from '../referral-store/index.js';
import { ConfigError, processEnv, resolveFromConfig, runLogger, type ConnectionConfig, type Env, type LoadedConfig, type Logger } from '../runtime/index.js';
import { openConfiguredState, type SyncState } from '../state/index.js';
import { afterCycle, runCycle, withSyncLog, type CycleDeps, type CycleResult } from '../sync/index.js';

export interface OpenConnection {
  crm: CrmConnector;
  sandbox: SalesforceSandbox | DynamicsSandbox | null;
  close(): Promise<void>;
}

export interface ServiceConnection {
  name: string;
  kind: 'salesforce' | 'dynamics365';
  schedule: string;
  crm: CrmConnector;
  /** The compiled mapping the cycles use now (replaced by `reloadMapping`). */
  readonly mapping: CompiledMapping;
  mappingFile: string;
  /** The mapping as written (for previews and suggestions). */
  mappingSource(): Mapping;
  /** Use a validated mapping from the next cycle on. */
  reloadMapping(m: Mapping): void;
  sandbox: SalesforceSandbox | DynamicsSandbox | null;
  referrals: ReferralsClient;
  /**
   * `state` replaces the service's state for this cycle (a worker's view fenced by its lease); `referrals` this
   * run's client (a test watching the calls); `afterCycle: false` leaves registration and notifications to the
   * caller (a test acting between the two, as a CRM assignment rule would).
   */
  runCycle(opts?: CycleOptions): Promise<CycleResult>;
  /** With the embedded store: subscribe this connection's organization to referral events at `callbackUrl`. */
  subscribeWebhooks?(callbackUrl: string): Promise<void>;
}

export type CycleOptions = Pick<CycleDeps, 'signal' | 'full' | 'dryRun' | 'onProgress'> & Partial<Pick<CycleDeps, 'state'>> & { referrals?: ReferralsClient; afterCycle?: boolean };

export interface Service {
  connections: ServiceConnection[];
  store: ReferralStoreHandle | null;
  state: SyncState;
  close(): Promise<void>;
}

const randomSecret = () => randomBytes(18).toString('base64url');

/** What a caller may give the factory beyond the config. */
export interface ConnectionOptions {
  /** The variables the config's secret names (`privateKeyEnv: X`) are read from; default: the process's. */
  env?: Env;
}

/** A CRM connector for a connection: its embedded sandbox (with fresh in-process credentials) or the real CRM. */
export async function openConnection(config: LoadedConfig, conn: ConnectionConfig, log: Logger, opts: ConnectionOptions = {}): Promise<OpenConnection> {
  const crm = conn.crm;
  const clog = log.child({ connection: conn.name });
  const env = opts.env ?? processEnv().vars;
  const certDir = resolveFromConfig(config, crm.sandbox?.certDir ?? `../.cosell/sandbox-certs/${conn.name}`);
  if (crm.kind === 'salesforce') {
    const { createSalesforceConnector, resolveSalesforceAuth } = await import('../../connectors/salesforce/index.js');
    if (crm.sandbox) {
      const { startSalesforceSandbox } = await import('../../sandboxes/index.js');
      const sandbox = await startSalesforceSandbox({
        port: crm.sandbox.port,
        seed: crm.sandbox.seed,
        activity: crm.sandbox.activity,
        credentials: { password: randomSecret(), clientSecret: randomSecret() },
        certDir,
        log: clog,
      });
      const c = sandbox.credentials;
      const connector = createSalesforceConnector({
        instanceUrl: sandbox.url,
        loginUrl: c.loginUrl,
        apiVersion: crm.apiVersion,
        auth: { method: 'jwt', clientId: c.clientId, username: c.username, privateKeyPem: c.privateKeyPem },
        rate: crm.rate,
        budget: crm.budget,
        ...(crm.lookbackSeconds === undefined ? {} : { lookbackSeconds: crm.lookbackSeconds }),
        log: clog,
      });
      return { crm: connector, sandbox, close: async () => (await connector.close(), await sandbox.close()) };
    }
    if (!crm.auth) throw new ConfigError(`connection ${conn.name}: crm.auth is required for a real Salesforce org`, config.file);
    const connector = createSalesforceConnector({
      instanceUrl: (crm.instanceUrl ?? crm.loginUrl)!,
      ...(crm.loginUrl ? { loginUrl: crm.loginUrl } : {}),
      apiVersion: crm.apiVersion,
      auth: resolveSalesforceAuth(crm.auth, env),
      rate: crm.rate,
      budget: crm.budget,
      ...(crm.lookbackSeconds === undefined ? {} : { lookbackSeconds: crm.lookbackSeconds }),
      log: clog,
    });
    return { crm: connector, sandbox: null, close: () => connector.close() };
  }
  const { createDynamicsConnector, resolveDynamicsAuth } = await import('../../connectors/dynamics365/index.js');
  if (crm.sandbox) {
    const { startDynamicsSandbox } = await import('../../sandboxes/index.js');
    const sandbox = await startDynamicsSandbox({
      port: crm.sandbox.port,
      seed: crm.sandbox.seed,
      activity: crm.sandbox.activity,
      credentials: { clientSecret: randomSecret() },
      certDir,
      log: clog,
    });
    const connector = createDynamicsConnector({
      url: sandbox.url,
      apiVersion: crm.apiVersion,
      auth: { ...sandbox.credentials, authority: sandbox.authority, caPem: sandbox.caPem },
      rate: crm.rate,
      log: clog,
    });
    return { crm: connector, sandbox, close: async () => (await connector.close(), await sandbox.close()) };
  }
  if (!crm.auth || !crm.url) throw new ConfigError(`connection ${conn.name}: crm.url and crm.auth are required for a real Dynamics 365 org`, config.file);
  const connector = createDynamicsConnector({
    url: crm.url,
    apiVersion: crm.apiVersion,
    auth: resolveDynamicsAuth(crm.auth, env, (p) => resolveFromConfig(config, p)),
    rate: crm.rate,
    log: clog,
  });
  return { crm: connector, sandbox: null, close: () => connector.close() };
}

export interface ServiceOptions extends ConnectionOptions {
  /** Open only these connections. */
  only?: string[];
  /** A state opened by the caller (a worker's shared one) instead of the config's. */
  state?: SyncState;
}

export async function openService(config: LoadedConfig, log: Logger, opts: ServiceOptions = {}): Promise<Service> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn('close failed', { error: (err as Error).message }));
  };
  try {
    const r = config.referrals;
    let store: ReferralStoreHandle | null = null;
    let baseUrl = r.baseUrl ?? 'https://api.partner.microsoft.com/v1.0/engagements';
    if (r.target === 'store' && r.embedded) {
      const { startReferralStore } = await import('../referral-store/index.js');
      store = await startReferralStore({
        port: r.embedded.port,
        host: r.embedded.host,
        dbFile: resolveFromConfig(config, r.embedded.db),
        seed: r.embedded.seed,
        microsoftActor: r.embedded.microsoftActor,
        log: log.child({ component: 'referral-store' }),
      });
      closers.push(() => store!.close());
      baseUrl = store.url;
    }
    const state = withSyncLog(opts.state ?? (await openConfiguredState(config)));
    closers.push(() => state.close());

    const connections: ServiceConnection[] = [];
    const wanted = config.connections.filter((c) => c.enabled && (!opts.only || opts.only.includes(c.name)));
    for (const [i, conn] of wanted.entries()) {
      // In the embedded store every connection is its own partner organization, so two demo CRMs don't share inbound referrals.
      const auth = store
        ? apiKeyProvider(i === 0 ? store.apiKey : await organizationKey(store, conn.name))
        : providerFromConfig(conn.referrals?.auth ?? r.auth, { log, resolvePath: (p) => resolveFromConfig(config, p), ...(opts.env ? { env: opts.env } : {}) });
      const referrals = createReferralsClient({
        baseUrl,
        auth,
        rate: r.rate,
        log,
        incremental: r.incremental,
        // A store (embedded or run on its own) has no Partner Center dashboard: the rep's link is the referral itself.
        ...(r.target === 'store' ? { linkTemplate: `${baseUrl}/referrals/{id}` } : {}),
      });
      const open = await openConnection(config, conn, log, opts);
      closers.push(() => open.close());
      const mappingFile = resolveFromConfig(config, conn.mapping);
      let source = loadMapping(mappingFile);
      let mapping = compileMapping(source);
      connections.push({
        name: conn.name,
        kind: conn.crm.kind,
        schedule: conn.schedule,
        crm: open.crm,
        get mapping() {
          return mapping;
        },
        mappingFile,
        mappingSource: () => source,
        reloadMapping(m) {
          mapping = compileMapping(m);
          source = m;
        },
        sandbox: open.sandbox,
        referrals,
        ...(store
          ? {
              subscribeWebhooks: async (callbackUrl: string) => {
                const { registerPartnerCenterWebhook } = await import('../server/index.js');
                await registerPartnerCenterWebhook({ apiBase: store!.origin, token: async () => (await auth.token(false)) ?? '', callbackUrl });
              },
            }
          : {}),
        runCycle: async ({ referrals: client, afterCycle: after = true, ...o } = {}) => {
          const { log: rlog, correlationId } = runLogger(log, { connection: conn.name });
          const run = client ?? referrals.forRun(correlationId);
          const result = await runCycle({
            connection: conn.name,
            crm: open.crm,
            referrals: run,
            mapping,
            log: rlog,
            correlationId,
            pageSize: conn.pageSize,
            ...o,
            state: o.state ?? state,
          });
          // Registration and notifications act on deals the cycle has just linked, won or closed.
          if (after && !o.dryRun && !result.interrupted) await afterCycle({ connection: conn.name, crm: open.crm, referrals: run, mapping: source, log: rlog });
          return result;
        },
      });
    }
    return { connections, store, state, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The API key of the embedded store organization named after a connection (created on first use). */
async function organizationKey(store: ReferralStoreHandle, name: string): Promise<string> {
  const res = await fetch(`${store.origin}/_admin/organizations/${encodeURIComponent(name)}/keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${store.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { apiKey?: string; error?: { message?: string } };
  if (!res.ok || !body.apiKey) throw new Error(`embedded store: cannot get a key for organization ${name}: ${body.error?.message ?? res.status}`);
  return body.apiKey;
}
