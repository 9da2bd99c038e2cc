/** The admin API's answers, as the console reads them (the OpenAPI document at /api/v1/openapi.json is the contract). */
export interface ConnectionStatus {
  connection: string;
  crm: 'salesforce' | 'dynamics365';
  paused: boolean;
  lastRun: { id: number; status: string; startedAt: string; endedAt: string | null } | null;
  lagSeconds: number | null;
  counts: { created: number; updated: number; writtenBack: number; createdInCrm: number };
  linked: number;
  blocked: number;
  conflicts: number;
  issues: number;
  apiCalls: { crm: number; referrals: number } | null;
  crmBudget: string | null;
}

export interface Run {
  id: number;
  connection: string;
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  counts: Partial<Record<'pulledCrm' | 'pulledReferrals' | 'created' | 'updated' | 'writtenBack' | 'createdInCrm' | 'blocked' | 'conflicts' | 'issues' | 'unchanged' | 'crmCalls' | 'referralCalls', number>> & { crmBudget?: string | null };
  error: string | null;
}

export const OUTCOMES = ['created', 'updated', 'written back', 'created in CRM', 'blocked', 'conflict', 'issue'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface LogEntry {
  id: number;
  runId: number;
  connection: string;
  at: string;
  crmId: string | null;
  referralId: string | null;
  name: string | null;
  outcome: Outcome;
  reason: string | null;
}

export interface Page<T> {
  items: T[];
  next: number | null;
}

export interface Issue {
  connection: string;
  recordKey: string;
  kind: string;
  message: string;
  firstSeen: string;
  lastSeen: string;
  attempts: number;
  retry: boolean;
}

export interface Conflict {
  id: number;
  connection: string;
  crmId: string;
  referralId: string;
  field: string;
  baseValue: unknown;
  crmValue: unknown;
  referralValue: unknown;
  createdAt: string;
  resolvedAt: string | null;
  resolution: 'crm' | 'referral' | null;
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
  stages: { value: string; label: string; probability: number | null; closed: boolean; won: boolean; mapped: string | null; by: 'rule' | 'map' | 'probability' | null; suggested: string }[];
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
