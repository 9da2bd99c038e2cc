/** What the HTTP layer needs from the running store, passed to each route module. */
import type { FaultInjector, Logger } from '../runtime/index.js';
import type { StoreClock } from './clock.js';
import type { MicrosoftActorConfig } from './microsoft-actor.js';
import type { Repository } from './repository.js';
import type { ReferralService } from './service.js';
import type { RegistrationService } from './registration/service.js';
import type { WebhookRouteDeps } from './routes/webhooks.js';

export interface StoreContext {
  repo: Repository;
  service: ReferralService;
  clock: StoreClock;
  faults: FaultInjector;
  actor: MicrosoftActorConfig;
  log: Logger;
  adminKeyHash: string;
  /** `http://host:port/v1.0/engagements`, known once the server listens. */
  base(): string;
  /** Run expiry and Microsoft's due decisions now. */
  tick(): Promise<{ expired: number; decided: number; reviewed: number }>;
  advanceDays(n: number): Promise<void>;
  stats: { requests: number; byRoute: Record<string, number> };
  /** Deal registration (issue 17). */
  registrations: RegistrationService;
  /** Webhook registration API and delivery queue (issue 17). */
  webhooks: WebhookRouteDeps;
}
