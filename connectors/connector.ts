/**
 * The contract every CRM connector implements. The sync engine only ever talks to a CRM through this.
 * Records are handed over raw (as the CRM's API returned them, nested relationship objects included) so the
 * mapping — not the connector — decides what a field means.
 */

/** One opportunity as the CRM returned it. */
export interface CrmRecord {
  id: string;
  /** Optimistic-concurrency token: Salesforce SystemModstamp, Dataverse @odata.etag. */
  version: string;
  /** ISO timestamp of the last change (the incremental cursor's unit). */
  modifiedAt: string;
  deleted: boolean;
  /** Raw fields; relationship fields nested (`Account: { BillingCountry }`) or flat (`_parentaccountid_value`). */
  fields: Record<string, unknown>;
}

export interface Page<T> {
  records: T[];
  /** Opaque cursor to store once this page is checkpointed; resuming from it never skips a change. */
  cursor: string | null;
  /** True when the connector had to start over (e.g. an expired Dataverse delta token): reconcile, don't duplicate. */
  fullResync?: boolean;
}

export interface PullOptions {
  /** CRM fields the mapping reads (relationship paths allowed, e.g. `Account.BillingCountry`). */
  fields: string[];
  /** Only records with this flag set, or already linked (the write-back referral id field not empty). */
  eligibility?: { flagField?: string; linkedField?: string; filter?: string };
  /** Ignore the cursor and read everything (a full resync). */
  full?: boolean;
  pageSize?: number;
  signal?: AbortSignal;
}

export interface CrmUpdate {
  id: string;
  fields: Record<string, unknown>;
  /** When given, the write is conditional (Dataverse If-Match); a stale version fails that record only. */
  version?: string;
  /** Close the opportunity through the CRM's own mechanism (Dataverse Win/LoseOpportunity). */
  close?: { outcome: 'won' | 'lost'; reason?: string };
}

/** A to-do for the rep on an opportunity, carrying the key of the event it reports. */
export interface CrmTask {
  key: string;
  opportunityId: string;
  subject: string;
  description: string;
}

export interface CrmCreate {
  /** Caller's key for matching results (e.g. the inbound referral id). */
  ref: string;
  fields: Record<string, unknown>;
  /**
   * Related records by relationship (`Account`; Dataverse `parentaccountid`, `parentcontactid`,
   * `transactioncurrencyid`), each as field → value. The connector links the record to an existing one matched
   * by its key (account name, contact e-mail, currency code) or creates it where that makes sense (not a currency).
   */
  related?: Record<string, Record<string, unknown>>;
}

export interface WriteResult {
  /** CrmUpdate.id, or the new record's id for a create (absent when the create failed). */
  id?: string;
  ref?: string;
  ok: boolean;
  /** CRM error code, e.g. `FIELD_CUSTOM_VALIDATION_EXCEPTION`, `0x80040237`, `preconditionFailed`. */
  code?: string;
  message?: string;
  /** New version after a successful write, when the CRM returns it. */
  version?: string;
}

export interface StageInfo {
  /** The API value stored on the record (Salesforce StageName, Dataverse option value as string). */
  value: string;
  label: string;
  /** Default probability 0–100 when the CRM defines one. */
  probability?: number;
  isClosed: boolean;
  isWon: boolean;
  active: boolean;
  /** Where the value comes from, e.g. `StageName`, `salesstage`, `statuscode`, `stepname`. */
  field: string;
}

export interface FieldInfo {
  name: string;
  label: string;
  /** CRM type name: string, double, currency, date, datetime, boolean, picklist, reference, … */
  type: string;
  custom: boolean;
  picklistValues?: string[];
  updateable: boolean;
}

export interface ApiUsage {
  used: number;
  max: number;
}

export interface CrmConnector {
  readonly kind: 'salesforce' | 'dynamics365';
  pull(cursor: string | null, opts: PullOptions): AsyncIterable<Page<CrmRecord>>;
  read(ids: string[], fields: string[]): Promise<CrmRecord[]>;
  /** Records whose `field` equals one of `values` (e.g. the referral id write-back field): heals crashed creates. */
  findBy(field: string, values: string[], fields: string[]): Promise<CrmRecord[]>;
  /** Records whose boolean `field` is true (e.g. the rep's "register this deal" checkbox). */
  findFlagged?(field: string, fields: string[]): Promise<CrmRecord[]>;
  writeBack(updates: CrmUpdate[]): Promise<WriteResult[]>;
  /** Of these event keys, the ones a task already carries (notifications are created once per key). */
  findTaskKeys?(keys: string[]): Promise<string[]>;
  /** Tasks on opportunities, owned by each opportunity's owner (Salesforce Task, Dataverse task). */
  createTasks?(tasks: CrmTask[]): Promise<WriteResult[]>;
  create(records: CrmCreate[]): Promise<WriteResult[]>;
  describeStages(): Promise<StageInfo[]>;
  describeFields(): Promise<FieldInfo[]>;
  /** API budget as last seen (Salesforce Sforce-Limit-Info); undefined where the CRM has none. */
  usage(): ApiUsage | undefined;
  /** Calls made so far (for status and benchmarks). */
  calls(): number;
  close(): Promise<void>;
}
