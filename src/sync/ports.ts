/**
 * What the engine needs from its collaborators, named from the engine's side. The mapping compiler, the
 * referrals client and the CRM connectors satisfy these; tests can hand in the real ones against sandboxes.
 */
import type { CrmConnector, CrmRecord } from '../../connectors/index.js';
import type { DealFieldKey, DealFields, Issue, PatchOp, Referral, ReferralCreate, ReferralFacts } from '../domain/index.js';
import type { Logger } from '../runtime/index.js';
import type { SyncState } from '../state/index.js';
import type { FieldPolicy } from './plan.js';

export interface MappingPort {
  /** CRM field paths the mapping reads (for the connector's pull). */
  fieldsToRead: string[];
  eligibility: { flagField?: string; linkedField?: string };
  /** The CRM field holding the referral id (links inbound-created opportunities; heals crashed creates). */
  referralIdField: string;
  onDelete: 'ignore' | 'close-lost';
  /** `defaulted`: deal field paths where the mapping's default stood in for an empty CRM value. */
  toDeal(record: CrmRecord): { deal: DealFields; problems: Issue[]; defaulted?: string[] };
  eligible(record: CrmRecord): boolean;
  /** CRM fields to write for these deal keys (values from `deal`). */
  fromDeal(deal: DealFields, keys: DealFieldKey[]): Record<string, unknown>;
  writeBackFields(facts: ReferralFacts): Record<string, unknown>;
  /** The CRM field for the rep-facing sync status line (✔/✖ + reason + time), and its length limit. */
  statusField: { field: string; maxLength: number } | null;
  inboundCreate(deal: DealFields, facts: ReferralFacts): Record<string, unknown>;
  /** Values of a new opportunity that live on related records (the customer's account, the currency). */
  inboundRelated?(deal: DealFields): Record<string, Record<string, unknown>>;
  policy(key: DealFieldKey): FieldPolicy;
  /** What the CRM reads after the sync writes `value` to deal field `key`; undefined when it cannot write it. */
  readBack?(key: DealFieldKey, value: unknown): unknown;
  /** The CRM field(s) a deal field path comes from (`team.email` → `Owner.Email`), for messages. */
  fieldFor?(dealPath: string): string | null;
  /** Close the CRM record through the CRM's own mechanism when the deal ends (Dataverse Win/Lose). */
  closeFor?(stage: DealFields['stage'], current?: Record<string, unknown>): { outcome: 'won' | 'lost'; reason?: string } | undefined;
}

export interface ReferralPage {
  referrals: Referral[];
  cursor: string | null;
}

export interface ReferralWithEtag {
  referral: Referral;
  etag: string | null;
}

export interface ReferralsPort {
  pull(cursor: string | null): AsyncIterable<ReferralPage>;
  read(id: string): Promise<ReferralWithEtag | null>;
  findByExternalReference(externalReferenceId: string): Promise<ReferralWithEtag | null>;
  create(body: ReferralCreate): Promise<ReferralWithEtag>;
  /** JSON Patch with If-Match; returns the new representation (and ETag). */
  patch(id: string, ops: PatchOp[], etag: string | null): Promise<ReferralWithEtag>;
  /** Link shown to a rep for a referral id. */
  linkFor(id: string): string | null;
  calls(): number;
}

/** One connection's collaborators, as a cycle and each of its parts get them. */
export interface ConnectionPorts {
  connection: string;
  crm: CrmConnector;
  referrals: ReferralsPort;
  mapping: MappingPort;
  state: SyncState;
  log: Logger;
}

export type { CrmConnector, CrmRecord };
