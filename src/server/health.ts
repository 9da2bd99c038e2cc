/**
 * What the readiness probe knows without calling anything: each connection's last credential verdict and
 * the referrals API's last answer, as the service saw them. The state database is checked live.
 */
import { AuthError, describeError } from '../runtime/index.js';
import type { SyncState } from '../state/index.js';

/** Answers that mean the remote could not be reached or is down (not: it said no to one request). */
const UNREACHABLE = new Set(['transport', '500', '502', '503', '504']);

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Health {
  runFinished(connection: string, error?: unknown): void;
  apiCall(api: string, status: string): void;
  readiness(state: SyncState, connections: string[]): Promise<{ ready: boolean; checks: Check[] }>;
}

export function createHealth(): Health {
  const authProblem = new Map<string, string>();
  const lastStatus = new Map<string, string>();
  return {
    runFinished(connection, error) {
      if (error instanceof AuthError) authProblem.set(connection, describeError(error));
      else authProblem.delete(connection);
    },
    apiCall(api, status) {
      lastStatus.set(api, status);
    },
    async readiness(state, connections) {
      const checks: Check[] = [];
      try {
        await state.pausedConnections();
        checks.push({ name: 'state', ok: true });
      } catch (err) {
        checks.push({ name: 'state', ok: false, detail: `the state database is not reachable: ${describeError(err)}` });
      }
      for (const c of connections) {
        const problem = authProblem.get(c);
        checks.push({ name: `credentials:${c}`, ok: !problem, ...(problem ? { detail: problem } : {}) });
      }
      const referrals = lastStatus.get('referrals');
      const down = referrals !== undefined && UNREACHABLE.has(referrals);
      checks.push({ name: 'referrals-api', ok: !down, ...(down ? { detail: `the last call to the referrals API failed (${referrals})` } : {}) });
      return { ready: checks.every((c) => c.ok), checks };
    },
  };
}
