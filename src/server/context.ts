/** What the HTTP surface needs from the running service (built by the composition root, faked by nothing). */
import type { CrmConnector } from '../../connectors/index.js';
import type { Mapping } from '../mapping/index.js';
import type { ReferralsClient } from '../partner-center/index.js';
import type { ConnectionConfig, Logger } from '../runtime/index.js';
import type { SyncState } from '../state/index.js';
import type { CycleResult, ReferralsPort } from '../sync/index.js';
import type { Health } from './health.js';
import type { Metrics } from './metrics.js';

export interface SurfaceConnection {
  name: string;
  kind: 'salesforce' | 'dynamics365';
  crm: CrmConnector;
  referrals: ReferralsPort & Pick<ReferralsClient, 'listPage'>;
  /** The mapping file on disk, and the mapping the running cycles use. */
  mappingFile: string;
  mapping(): Mapping;
  /** Make the cycles use this (already validated) mapping from the next cycle on. */
  reloadMapping(m: Mapping): void;
  /** A dry-run cycle: reads both sides, writes nothing. */
  dryRun(opts: { full: boolean }): Promise<CycleResult>;
}

export interface SurfaceContext {
  state: SyncState;
  connections: SurfaceConnection[];
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Run the connection's cycle now, or right after the running one. */
  runNow(connection: string): Promise<void>;
  /** When the connection's schedule runs it next (null: never, or not scheduled in this process). */
  nextRun?(connection: string): Date | null;
  /** Connections stored in PostgreSQL (distributed mode); absent in the embedded default. */
  connectionConfigs?: StoredConnections;
}

export interface StoredConnections {
  list(): Promise<ConnectionConfig[]>;
  /** Store (insert or replace) a validated connection and schedule it. */
  put(c: ConnectionConfig): Promise<{ created: boolean }>;
  remove(name: string): Promise<boolean>;
}
