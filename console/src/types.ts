/**
 * The admin API's answers as the console reads them: the server's own types where it has them (type-only
 * imports, nothing of the server is bundled), the rest as the routes in src/server/console-api.ts answer.
 */
import type { ConnectionStatus } from '../../src/admin/operations.js';
import type { StageRow } from '../../src/mapping/admin.js';
import type { Conflict, RecordIssue as Issue, Run, SyncLogEntry as LogEntry, SyncOutcome as Outcome } from '../../src/state/types.js';

export type { Conflict, ConnectionStatus, Issue, LogEntry, Outcome, Run };

export const OUTCOMES: readonly Outcome[] = ['created', 'updated', 'written back', 'created in CRM', 'blocked', 'conflict', 'issue'];

export interface Page<T> {
  items: T[];
  next: number | null;
}

export interface Comparison {
  crmId: string;
  referralId: string | null;
  name: string | null;
  state: string | null;
  statusLine: string | null;
  referralLink: string | null;
  fields: { key: string; crm: unknown; referral: unknown; agreed: unknown; differs: boolean }[];
  problems: string[];
}

export interface StageTable {
  field: string;
  targets: string[];
  stages: StageRow[];
}

export interface Problem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface Preview {
  dealType: string;
  stage: string;
  percent: number | null;
  fields: { key: string; source: string; value: unknown }[];
  problems: { path: string; message: string }[];
}

export interface Referral {
  id: string;
  name?: string | null;
  status: string;
  substatus?: string | null;
  direction?: 'Incoming' | 'Outgoing' | null;
  favorite?: boolean | null;
  salesStage?: string | null;
  dealType?: string | null;
  expirationDateTime?: string | null;
  customerProfile?: { name?: string | null } | null;
  details?: { dealValue?: number | null; currency?: string | null; closingDateTime?: string | null } | null;
}
