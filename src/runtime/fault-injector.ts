/**
 * The fault settings a server runs with, the generator's state, and what came of each request: a tally of the
 * faults injected and a bounded log of arrivals (a ring: the newest `logSize` requests), which tests read to
 * check what the server saw. Settings change at run time (a test, the store's admin API); every change reseeds.
 */
import {
  type FaultDecision,
  type FaultInput,
  type FaultOutcome,
  type FaultRequest,
  type FaultSettings,
  faultOutcome,
  faultSettingsSchema,
  faultState,
  nextFault,
} from './fault-decision.js';

export interface FaultArrival {
  /** Epoch milliseconds. */
  at: number;
  method: string;
  /** The matched route (`/v1.0/engagements/referrals/:id`), or the path when no route matched. */
  route: string;
  outcome: FaultOutcome;
}

export interface FaultInjector {
  /** Replace the settings (unset fields take their defaults) and reseed. */
  configure(input: FaultInput): FaultSettings;
  /** Faults off (the default settings); the tally and the log are kept (they record what happened). */
  reset(): void;
  current(): FaultSettings;
  /** Decide the fate of a request that arrived at `at`, and record it. */
  next(request: FaultRequest & { route: string }, at: number): FaultDecision;
  /** Faults injected so far, by outcome (passes are not counted). */
  injected(): Partial<Record<Exclude<FaultOutcome, 'pass'>, number>>;
  /** The newest arrivals, oldest first. */
  arrivals(): FaultArrival[];
}

export function createFaultInjector(initial: FaultInput = {}, opts: { logSize?: number } = {}): FaultInjector {
  const logSize = opts.logSize ?? 1000;
  let settings = faultSettingsSchema.parse(initial);
  let state = faultState(settings.seed);
  const tally: Partial<Record<Exclude<FaultOutcome, 'pass'>, number>> = {};
  const ring: FaultArrival[] = [];
  let written = 0;
  const configure = (input: FaultInput) => {
    settings = faultSettingsSchema.parse(input);
    state = faultState(settings.seed);
    return settings;
  };
  return {
    configure,
    reset: () => void configure({}),
    current: () => settings,
    next(request, at) {
      const r = nextFault(settings, state, request);
      state = r.state;
      const outcome = faultOutcome(r.decision);
      if (outcome !== 'pass') tally[outcome] = (tally[outcome] ?? 0) + 1;
      ring[written++ % logSize] = { at, method: request.method, route: request.route, outcome };
      return r.decision;
    },
    injected: () => ({ ...tally }),
    arrivals: () => (written <= logSize ? ring.slice() : [...ring.slice(written % logSize), ...ring.slice(0, written % logSize)]),
  };
}
