/** The calls a sandbox has answered, in all and per route, for tests and benches to count. */

export interface RequestStats {
  calls: number;
  byEndpoint: Record<string, number>;
}

export const requestStats = (): RequestStats => ({ calls: 0, byEndpoint: {} });

/** Count one call under its route (`GET /services/data/:version/query`, `PATCH /api/data/v9.2/opportunities(…)`). */
export function countRequest(stats: RequestStats, route: string): void {
  stats.calls++;
  stats.byEndpoint[route] = (stats.byEndpoint[route] ?? 0) + 1;
}

/** A copy the sandbox can go on counting past. */
export const statsSnapshot = (s: RequestStats): RequestStats => ({ calls: s.calls, byEndpoint: { ...s.byEndpoint } });
