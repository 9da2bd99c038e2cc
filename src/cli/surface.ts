/**
 * Composition of the HTTP surface for `start`: metrics and health fed by the service's runs and API calls,
 * the surface context over the service's connections and state, and the server itself. The embedded store's
 * signing certificate is pinned: its events are verified against the certificate this process holds.
 */
import { lagSeconds } from '../admin/index.js';
import { resolveFromConfig, observeLanes, type LoadedConfig, type Logger } from '../runtime/index.js';
import { createHealth, createMetrics, startHttpServer, type HttpServer } from '../server/index.js';
import type { SurfaceConnection, SurfaceContext } from '../server/index.js';
import type { RunCounts } from '../state/index.js';
import { syncReferralNow } from '../sync/index.js';
import type { Service, ServiceConnection } from './service.js';

export interface Surface {
  runFinished(connection: string, result: 'ok' | 'failed' | 'interrupted', seconds: number, counts: RunCounts | null, error?: unknown): void;
  listen(runNow: (connection: string) => Promise<void>, nextRun?: (connection: string) => Date | null): Promise<HttpServer>;
  /** Serve a connection opened after start (distributed mode: stored in PostgreSQL since); once per name. */
  track(c: ServiceConnection): void;
}

const surfaceConnection = (c: ServiceConnection): SurfaceConnection => ({
  name: c.name,
  kind: c.kind,
  crm: c.crm,
  referrals: c.referrals,
  mappingFile: c.mappingFile,
  mapping: () => c.mappingSource(),
  reloadMapping: (m) => c.reloadMapping(m),
  dryRun: ({ full }) => c.runCycle({ dryRun: true, full }),
});

export function createSurface(service: Service, config: LoadedConfig, log: Logger, extra: Pick<SurfaceContext, 'connectionConfigs'> = {}): Surface {
  const { state } = service;
  const health = createHealth();
  const metrics = createMetrics({
    connections: () => service.connections.map((c) => c.name),
    lagSeconds: (c) => lagSeconds(state, c),
    budgetRatio: (c) => {
      const u = service.connections.find((x) => x.name === c)?.crm.usage();
      return u && u.max > 0 ? u.used / u.max : null;
    },
    recordIssues: async (c) => (await state.issuesPage({ connection: c, offset: 0, limit: 0 })).total,
    conflictsOpen: async (c) => (await state.conflictsPage({ connection: c, includeResolved: false, offset: 0, limit: 0 })).total,
  });
  observeLanes({
    call(api, status) {
      metrics.apiCall(api, status);
      health.apiCall(api, status);
    },
    retryAfter: (api, seconds) => metrics.retryAfter(api, seconds),
  });
  // The routes read this array on every request, so a connection tracked later is served at once.
  const connections: SurfaceConnection[] = [];
  const track = (c: ServiceConnection) => {
    if (!connections.some((x) => x.name === c.name)) connections.push(surfaceConnection(c));
  };
  return {
    track,
    runFinished(connection, result, seconds, counts, error) {
      metrics.observeRun(connection, result, seconds, counts);
      health.runFinished(connection, error);
    },
    listen(runNow, nextRun) {
      for (const c of service.connections) track(c);
      return startHttpServer({
        config: config.server,
        resolvePath: (p) => resolveFromConfig(config, p),
        pinnedCertificates: service.store ? [((c) => ({ url: c.url, certificate: c.der }))(service.store.webhookCertificate())] : [],
        ctx: {
          state,
          connections,
          log: log.child({ component: 'http' }),
          metrics,
          health,
          runNow,
          ...(nextRun ? { nextRun } : {}),
          syncReferral: (referralId) => syncReferralNow({ state, connections, runNow }, referralId),
          ...extra,
        },
      });
    },
  };
}
