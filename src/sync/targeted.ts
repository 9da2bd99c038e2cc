/**
 * A targeted sync of one referral (a Partner Center webhook said it changed): queue it on the connection that
 * links it and run that connection's cycle now; the cycle's retry phase reads the referral and its opportunity,
 * plans the record and writes back, reusing the engine as is (the rest of an idle cycle is one call per side).
 * A referral no connection links yet is queued only where it is an inbound referral that connection can read —
 * the same rule as the scheduled pull, so an event about one of our own invitations never creates an
 * opportunity; those connections' cycles still run, and their incremental pull takes what changed.
 */
import { recordKey, type SyncState } from '../state/index.js';
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

/** Returns the connections whose cycle was run (empty when none can see the referral). */
export async function syncReferralNow(deps: TargetedDeps, referralId: string): Promise<string[]> {
  const key = recordKey('referral', referralId);
  const targets: string[] = [];
  for (const c of deps.connections) {
    if ((await deps.state.getLinksByReferral(c.name, [referralId])).size > 0) targets.push(c.name);
  }
  if (targets.length) {
    for (const name of targets) await deps.state.requestRetry(name, [key]);
  } else {
    for (const c of deps.connections) {
      const found = await c.referrals.read(referralId);
      if (!found) continue;
      targets.push(c.name);
      if (found.referral.direction === 'Incoming') await deps.state.requestRetry(c.name, [key]);
    }
  }
  await Promise.all(targets.map((name) => deps.runNow(name)));
  return targets;
}
