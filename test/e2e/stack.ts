/**
 * An end-to-end stack on loopback: the referral store, and one CRM sandbox with the real connector, client,
 * mapping and state as the service's own factory (`openService`) wires them, with a small CRM adapter so the
 * same scenarios run against Salesforce and Dynamics 365.
 */
import { mkdtempSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CrmConnector } from '../../connectors/connector.js';
import type { DynamicsSandbox, SalesforceSandbox } from '../../sandboxes/index.js';
import { openService } from '../../src/cli/index.js';
import type { Referral } from '../../src/domain/index.js';
import type { CompiledMapping, Mapping } from '../../src/mapping/index.js';
import type { ReferralsClient } from '../../src/partner-center/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../src/referral-store/index.js';
import { parseConfig, silentLogger, type Logger } from '../../src/runtime/index.js';
import type { SyncState } from '../../src/state/index.js';
import { afterCycle, syncRegistrations, type CycleResult } from '../../src/sync/index.js';

export type CrmKind = 'salesforce' | 'dynamics365';
type RegistrationRole = 'registrationStatus' | 'registrationReason' | 'registrationActionRequired' | 'registrationLine';

export interface OppSpec {
  name?: string;
  /** A co-sell stage the adapter translates into the CRM's own value. */
  stage?: 'Qualify' | 'Develop' | 'Propose' | 'Close';
  amount?: number;
  closeDate?: string;
  notes?: string;
  country?: string | null;
  help?: 'None' | 'ProofOfConceptOrDemo';
  visible?: boolean;
  sync?: boolean;
  /** The CRM's solutions field as typed (default `SOL-AZ-001`). */
  solutions?: string;
  /** No currency on the record (Dataverse: no currency lookup). */
  noCurrency?: boolean;
}

/** What a test does to the CRM, in CRM-neutral words. */
export interface CrmAdapter {
  kind: CrmKind;
  create(spec?: OppSpec): string;
  setAmount(id: string, amount: number): void;
  setCloseDate(id: string, date: string): void;
  setNotes(id: string, notes: string): void;
  setStage(id: string, stage: 'Qualify' | 'Develop' | 'Propose' | 'Close'): void;
  setOwner(id: string, person: { first: string; last: string; email: string; phone: string }): void;
  /** Edit the owner's own user record (not the opportunity). */
  setOwnerEmail(id: string, email: string | null): void;
  /** Edit the customer's account record (not the opportunity). */
  setAccountCountry(id: string, country: string | null): void;
  requestHelp(id: string): void;
  win(id: string): void;
  lose(id: string, reason: string): void;
  /** Reopen a closed deal and change its amount (Dataverse makes you reopen to edit). */
  editAfterClose(id: string, amount: number): void;
  decline(id: string, reason: string): void;
  /** Decline by the stage field alone, leaving the record as the CRM has it (Dataverse: the row stays open). */
  declineByStage(id: string, reason: string): void;
  /** A raw CRM field of the opportunity. */
  raw(id: string, field: string): unknown;
  /** The opportunity's currency code and customer account (name, country) as the CRM holds them. */
  currencyOf(id: string): unknown;
  accountOf(id: string): { name: unknown; country: unknown } | null;
  /** The referral's status and substatus where the CRM keeps them true (Dataverse: the related status row). */
  referralStatusOf(id: string): [unknown, unknown];
  remove(id: string): void;
  /** A field of the record, by the mapping's write-back role. */
  field(id: string, role: 'referralId' | 'status' | 'substatus' | 'msxId' | 'statusLine' | 'stage' | 'amount' | RegistrationRole): unknown;
  /** The rep ticks "register this deal", optionally with the customer's name as on the contract. */
  tickRegister(id: string, contractName?: string): void;
  setContractName(id: string, name: string): void;
  /** Tasks on an opportunity, with their owner and event key. */
  tasks(id: string): { subject: string; description: string; ownerId: unknown; key: string }[];
  /** The opportunity's owner id. */
  ownerOf(id: string): unknown;
  /** All opportunities carrying a referral id (e.g. created from inbound referrals). */
  withReferral(referralId: string): string | undefined;
}

export interface Stack {
  store: ReferralStoreHandle;
  client: ReferralsClient;
  crm: CrmAdapter;
  connector: CrmConnector;
  readonly mapping: CompiledMapping;
  state: SyncState;
  sync(): Promise<CycleResult>;
  /** The deal-registration step of a cycle (the mapping's `registration:` section). */
  registrations(): ReturnType<typeof syncRegistrations>;
  /** Registration and notifications, as the service runs them after each cycle. */
  afterCycle(): Promise<void>;
  referralFor(crmId: string): Promise<Referral>;
  admin(path: string, body: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const rate = { concurrency: 8, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 2 };
const SF_STAGE = { Qualify: 'Needs Analysis', Develop: 'Value Proposition', Propose: 'Proposal/Price Quote', Close: 'Negotiation/Review' } as const;
const D365_STAGE = { Qualify: 0, Develop: 1, Propose: 2, Close: 3 } as const;

function salesforceAdapter(sb: SalesforceSandbox): CrmAdapter {
  const owner = sb.org.insert('User', { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+31 20 555 0100' });
  const roles = {
    referralId: 'Referral_Id__c',
    status: 'Referral_Status__c',
    substatus: 'Referral_Substatus__c',
    msxId: 'Microsoft_CRM_Id__c',
    statusLine: 'Cosell_Sync_Status__c',
    stage: 'StageName',
    amount: 'Amount',
    registrationStatus: 'Registration_Status__c',
    registrationReason: 'Registration_Reason__c',
    registrationActionRequired: 'Registration_Action_Required__c',
    registrationLine: 'Registration_Line__c',
  };
  const up = (id: string, f: Record<string, unknown>) => sb.org.update('Opportunity', id, f);
  return {
    kind: 'salesforce',
    create(s = {}) {
      const account = sb.org.insert('Account', {
        Name: `${s.name ?? 'Contoso'} Ltd`,
        ...(s.country === null ? {} : { BillingCountry: s.country ?? 'Netherlands' }),
        BillingCity: 'Utrecht',
      });
      return sb.org.insert('Opportunity', {
        Name: s.name ?? 'Contoso expansion',
        StageName: SF_STAGE[s.stage ?? 'Qualify'],
        Amount: s.amount ?? 12_500,
        ...(s.noCurrency ? {} : { CurrencyIsoCode: 'EUR' }),
        CloseDate: s.closeDate ?? '2027-03-01',
        Description: s.notes ?? null,
        AccountId: account,
        OwnerId: owner,
        Sync_with_Partner_Center__c: s.sync ?? true,
        How_can_Microsoft_help__c: s.help ?? 'None',
        Visible_to_Microsoft__c: s.visible ?? false,
        Partner_Center_Solutions__c: s.solutions ?? 'SOL-AZ-001',
        Customer_Contact_First_Name__c: 'Sue',
        Customer_Contact_Last_Name__c: 'Smith',
        Customer_Contact_Email__c: 'sue@customer.example',
        Customer_Contact_Phone__c: '+1 206 555 0100',
      });
    },
    setAmount: (id, a) => up(id, { Amount: a }),
    setCloseDate: (id, d) => up(id, { CloseDate: d }),
    setNotes: (id, n) => up(id, { Description: n }),
    setStage: (id, s) => up(id, { StageName: SF_STAGE[s] }),
    setOwner(id, p) {
      up(id, { OwnerId: sb.org.insert('User', { FirstName: p.first, LastName: p.last, Email: p.email, Phone: p.phone }) });
    },
    setOwnerEmail: (id, email) => sb.org.update('User', String(sb.org.get('Opportunity', id).OwnerId), { Email: email }),
    setAccountCountry: (id, country) => sb.org.update('Account', String(sb.org.get('Opportunity', id).AccountId), { BillingCountry: country }),
    requestHelp: (id) => up(id, { How_can_Microsoft_help__c: 'ProofOfConceptOrDemo', Visible_to_Microsoft__c: true }),
    win: (id) => up(id, { StageName: 'Closed Won' }),
    lose: (id, reason) => up(id, { StageName: 'Closed Lost', Loss_Reason__c: reason }),
    editAfterClose: (id, a) => up(id, { Amount: a }),
    decline: (id, reason) => up(id, { StageName: 'Declined Referral', Decline_Reason__c: reason }),
    declineByStage: (id, reason) => up(id, { StageName: 'Declined Referral', Decline_Reason__c: reason }),
    raw: (id, f) => sb.org.get('Opportunity', id)[f],
    currencyOf: (id) => sb.org.get('Opportunity', id).CurrencyIsoCode,
    referralStatusOf(id) {
      const o = sb.org.get('Opportunity', id);
      return [o.Referral_Status__c, o.Referral_Substatus__c];
    },
    accountOf(id) {
      const a = sb.org.get('Opportunity', id).AccountId;
      if (!a) return null;
      const acc = sb.org.get('Account', String(a));
      return { name: acc.Name, country: acc.BillingCountry };
    },
    remove: (id) => sb.org.remove('Opportunity', id),
    field: (id, role) => sb.org.get('Opportunity', id)[roles[role]],
    withReferral: (rid) => sb.org.all('Opportunity').find((o) => o.Referral_Id__c === rid)?.Id as string | undefined,
    tickRegister: (id, name) => up(id, { Register_Deal__c: true, ...(name ? { Customer_Contract_Name__c: name } : {}) }),
    setContractName: (id, name) => up(id, { Customer_Contract_Name__c: name }),
    tasks: (id) =>
      sb.org
        .all('Task')
        .filter((t) => t.WhatId === id)
        .map((t) => ({ subject: String(t.Subject), description: String(t.Description ?? ''), ownerId: t.OwnerId, key: String(t.Cosell_Event_Key__c) })),
    ownerOf: (id) => sb.org.get('Opportunity', id).OwnerId,
  };
}

function dynamicsAdapter(sb: DynamicsSandbox): CrmAdapter {
  const owner = sb.org.insert('systemusers', { firstname: 'Ann', lastname: 'Lee', internalemailaddress: 'ann@partner.example', address1_telephone1: '+31 20 555 0100' });
  const currency = sb.org.insert('transactioncurrencies', { isocurrencycode: 'EUR', currencyname: 'Euro' });
  const contact = sb.org.insert('contacts', { firstname: 'Sue', lastname: 'Smith', emailaddress1: 'sue@customer.example', telephone1: '+1 206 555 0100' });
  const roles = {
    referralId: 'cosell_referralid',
    status: 'cosell_referralstatus',
    substatus: 'cosell_referralsubstatus',
    msxId: 'cosell_microsoftcrmid',
    statusLine: 'cosell_syncstatus',
    stage: 'salesstage',
    amount: 'estimatedvalue',
    registrationStatus: 'cosell_registrationstatus',
    registrationReason: 'cosell_registrationreason',
    registrationActionRequired: 'cosell_registrationactionrequired',
    registrationLine: 'cosell_registrationline',
  };
  const up = (id: string, f: Record<string, unknown>) => sb.org.update('opportunities', id, f);
  return {
    kind: 'dynamics365',
    create(s = {}) {
      const account = sb.org.insert('accounts', {
        name: `${s.name ?? 'Contoso'} Ltd`,
        ...(s.country === null ? {} : { address1_country: s.country ?? 'Netherlands' }),
        address1_city: 'Utrecht',
      });
      return sb.org.insert('opportunities', {
        name: s.name ?? 'Contoso expansion',
        salesstage: D365_STAGE[s.stage ?? 'Qualify'],
        estimatedvalue: s.amount ?? 12_500,
        estimatedclosedate: s.closeDate ?? '2027-03-01',
        description: s.notes ?? null,
        'parentaccountid@odata.bind': `/accounts(${account})`,
        'owninguser@odata.bind': `/systemusers(${owner})`,
        ...(s.noCurrency ? {} : { 'transactioncurrencyid@odata.bind': `/transactioncurrencies(${currency})` }),
        'parentcontactid@odata.bind': `/contacts(${contact})`,
        cosell_syncwithpartnercenter: s.sync ?? true,
        cosell_howcanmicrosofthelp: s.help === 'ProofOfConceptOrDemo' ? 100_000_003 : 100_000_000,
        cosell_visibletomicrosoft: s.visible ?? false,
        cosell_solutions: s.solutions ?? 'SOL-AZ-001',
      });
    },
    setAmount: (id, a) => up(id, { estimatedvalue: a }),
    setCloseDate: (id, d) => up(id, { estimatedclosedate: d }),
    setNotes: (id, n) => up(id, { description: n }),
    setStage: (id, s) => up(id, { salesstage: D365_STAGE[s], stepname: null, statuscode: 1 }),
    setOwner(id, p) {
      const u = sb.org.insert('systemusers', { firstname: p.first, lastname: p.last, internalemailaddress: p.email, address1_telephone1: p.phone });
      up(id, { 'owninguser@odata.bind': `/systemusers(${u})` });
    },
    setOwnerEmail: (id, email) => sb.org.update('systemusers', String(sb.org.get('opportunities', id)._ownerid_value), { internalemailaddress: email }),
    setAccountCountry: (id, country) => sb.org.update('accounts', String(sb.org.get('opportunities', id)._parentaccountid_value), { address1_country: country }),
    requestHelp: (id) => up(id, { cosell_howcanmicrosofthelp: 100_000_003, cosell_visibletomicrosoft: true }),
    win: (id) => sb.org.close(id, 'won'),
    lose(id, reason) {
      up(id, { cosell_lossreason: reason });
      sb.org.close(id, 'lost');
    },
    editAfterClose: (id, a) => up(id, { statecode: 0, statuscode: 1, estimatedvalue: a }),
    decline(id, reason) {
      up(id, { stepname: 'Declined Referral', cosell_declinereason: reason });
      sb.org.close(id, 'lost');
    },
    declineByStage: (id, reason) => up(id, { stepname: 'Declined Referral', cosell_declinereason: reason }),
    raw: (id, f) => sb.org.get('opportunities', id)[f],
    referralStatusOf(id) {
      const o = sb.org.get('opportunities', id);
      return [o.cosell_referralstatus, o.cosell_referralsubstatus];
    },
    currencyOf(id) {
      const c = sb.org.get('opportunities', id)._transactioncurrencyid_value;
      return c ? sb.org.get('transactioncurrencies', String(c)).isocurrencycode : null;
    },
    accountOf(id) {
      const a = sb.org.get('opportunities', id)._parentaccountid_value;
      if (!a) return null;
      const acc = sb.org.get('accounts', String(a));
      return { name: acc.name, country: acc.address1_country };
    },
    remove: (id) => sb.org.remove('opportunities', id),
    field: (id, role) => sb.org.get('opportunities', id)[roles[role]],
    withReferral: (rid) => sb.org.all('opportunities').find((o) => o.cosell_referralid === rid)?.opportunityid as string | undefined,
    tickRegister: (id, name) => up(id, { cosell_registerdeal: true, ...(name ? { cosell_contractname: name } : {}) }),
    setContractName: (id, name) => up(id, { cosell_contractname: name }),
    tasks: (id) =>
      sb.org
        .all('tasks')
        .filter((t) => t._regardingobjectid_value === id)
        .map((t) => ({ subject: String(t.subject), description: String(t.description ?? ''), ownerId: t._ownerid_value, key: String(t.cosell_eventkey) })),
    ownerOf: (id) => sb.org.get('opportunities', id)._ownerid_value,
  };
}

export async function startStack(kind: CrmKind, opts: { log?: Logger; mapping?: Mapping; referralsUrl?: (storeUrl: string) => Promise<string> } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), `cosell-e2e-${kind}-`));
  const log = opts.log ?? silentLogger;
  const store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    apiKey: 'e2e-partner-key-123',
    adminKey: 'e2e-admin-key-1234',
    now: '2026-11-24T09:00:00Z',
    microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 3 },
  });
  // The service's own factory wires the sandbox, connector, referrals client and state from this config.
  const config = parseConfig(
    {
      state: { path: 'state.db' },
      referrals: {
        target: 'store',
        baseUrl: opts.referralsUrl ? await opts.referralsUrl(store.url) : store.url,
        auth: { method: 'api-key', apiKeyEnv: 'E2E_STORE_KEY' },
        rate,
        incremental: { mode: 'filter', overlapSeconds: 5 },
      },
      connections: [
        {
          name: kind,
          crm: {
            kind,
            sandbox: { seed: 0, activity: false, certDir: resolve(`.cosell/test-certs/${kind}`) },
            rate,
            ...(kind === 'salesforce' ? { budget: { warnAt: 0.8, pauseAt: 0.95 }, lookbackSeconds: 0 } : {}),
          },
          mapping: resolve(`mappings/${kind}.yaml`),
          pageSize: 100,
        },
      ],
    },
    join(dir, 'config.yaml'),
  );
  const service = await openService(config, log, { env: { E2E_STORE_KEY: store.apiKey } });
  const conn = service.connections[0]!;
  if (opts.mapping) conn.reloadMapping(opts.mapping);
  const crm = kind === 'salesforce' ? salesforceAdapter(conn.sandbox as SalesforceSandbox) : dynamicsAdapter(conn.sandbox as DynamicsSandbox);
  const stack: Stack = {
    store,
    client: conn.referrals,
    crm,
    connector: conn.crm,
    get mapping() {
      return conn.mapping;
    },
    state: service.state,
    // The cycle alone: the tests run registration and notifications when they choose (`afterCycle`).
    sync: () => conn.runCycle({ referrals: conn.referrals, afterCycle: false }),
    registrations: () => {
      const spec = conn.mappingSource().registration;
      if (!spec) throw new Error(`mappings/${kind}.yaml has no registration section`);
      return syncRegistrations({ connection: kind, crm: conn.crm, referrals: conn.referrals, spec, referralIdField: conn.mapping.referralIdField, log });
    },
    afterCycle: () => afterCycle({ connection: kind, crm: conn.crm, referrals: conn.referrals, mapping: conn.mappingSource(), log }),
    async referralFor(crmId) {
      const found = await conn.referrals.findByExternalReference(crmId);
      if (!found) throw new Error(`no referral for ${crmId}`);
      return found.referral;
    },
    async admin(path, body) {
      const res = await fetch(`${store.origin}/_admin/${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${store.adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    async close() {
      await service.close();
      await store.close();
    },
  };
  return stack;
}

/** A fresh stack for each test of the enclosing describe (started before, closed after): call the result for it. */
export function useStack(kind: CrmKind): () => Stack {
  let current: Stack | null = null;
  beforeEach(async () => {
    current = await startStack(kind);
  });
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  return () => {
    if (!current) throw new Error('useStack: no stack outside a test');
    return current;
  };
}
