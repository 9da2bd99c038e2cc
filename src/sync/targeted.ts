/**
 * A targeted sync of one referral (a Partner Center webhook said it changed): queue it on the connection that
 * links it — or, for a referral no connection knows yet, on every connection that can read it — and run that
 * connection's cycle now. The cycle's retry phase reads the referral and its opportunity, plans the record and
 * writes back, reusing the engine as is; the rest of an idle cycle is one call per side.
 */
import type { SyncState } from '../state/index.js';
import type { ReferralsPort } from './ports.js';

export interface TargetedConnection {
  name: string;
  referrals: Pick<ReferralsPort, 'read'>;
}

export interface TargetedDeps {
  state: SyncState;
  connections: readonly TargetedConnection[];
  /** Run the connection's cycle now (or right after the running one). */
  runNow(connection: string): Promise<void>;
}

/** Returns the connections the referral was queued on (empty when none can see it). */
export async function syncReferralNow(deps: TargetedDeps, referralId: string): Promise<string[]> {
  const key = `referral:${referralId}`;
  const linked: string[] = [];
  for (const c of deps.connections) {
    if ((await deps.state.getLinksByReferral(c.name, [referralId])).size > 0) linked.push(c.name);
  }
  const targets = linked.length ? linked : await readableBy(deps.connections, referralId);
  for (const name of targets) await deps.state.requestRetry(name, [key]);
  await Promise.all(targets.map((name) => deps.runNow(name)));
  return targets;
}

async function readableBy(connections: readonly TargetedConnection[], referralId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of connections) if (await c.referrals.read(referralId)) out.push(c.name);
  return out;
}
