/**
 * Demo data and simulated sales reps for the sandbox: realistic accounts (countries as names and codes),
 * owners, opportunities across every stage, about half flagged for co-sell, a few deliberately incomplete.
 */
import { seededRandom, silentLogger, type Logger } from '../../src/runtime/index.js';
import type { Org } from './org.js';

const COMPANIES = [
  'Contoso',
  'Fabrikam',
  'Northwind Traders',
  'Adventure Works',
  'Tailspin Toys',
  'Wide World Importers',
  'Litware',
  'Proseware',
  'Woodgrove Bank',
  'Alpine Ski House',
  'Coho Winery',
  'Fourth Coffee',
  'Lamna Healthcare',
  'Margie’s Travel',
  'Trey Research',
  "O'Brien & Sons",
];
const PLACES: [string, string, string][] = [
  ['Netherlands', 'Amsterdam', '1012 AB'],
  ['NL', 'Utrecht', '3511 AA'],
  ['United States', 'Seattle', '98101'],
  ['US', 'Austin', '73301'],
  ['Germany', 'Berlin', '10115'],
  ['United Kingdom', 'London', 'EC1A 1BB'],
  ['France', 'Paris', '75001'],
  ['Belgium', 'Antwerp', '2000'],
  ['Japan', 'Tokyo', '100-0001'],
  ['Australia', 'Sydney', '2000'],
];
const PEOPLE: [string, string][] = [
  ['Ann', 'Lee'],
  ['Bram', 'de Vries'],
  ['Chloé', 'Martin'],
  ['Dev', 'Patel'],
  ['Eva', 'Schmidt'],
];
const CONTACTS: [string, string][] = [
  ['Sue', 'Smith'],
  ['Tom', 'Jansen'],
  ['Uma', 'Rao'],
  ['Victor', 'Nguyen'],
];
const OPEN_STAGES = [
  'Prospecting',
  'Qualification',
  'Needs Analysis',
  'Solution Design',
  'Value Proposition',
  'Id. Decision Makers',
  'Perception Analysis',
  'Proposal/Price Quote',
  'Negotiation/Review',
];
const HELP = ['None', 'None', 'None', 'GeneralOrOther', 'ProofOfConceptOrDemo', 'CustomerTechnicalArchitecture'];
const SOLUTIONS = ['SOL-AZ-001', 'SOL-AZ-002', 'SOL-BA-010', 'SOL-M365-020'];
const CURRENCIES = ['USD', 'EUR', 'EUR', 'GBP'];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function seedOrg(org: Org, opportunities: number, seed: number): void {
  const r = seededRandom(seed);
  const owners = PEOPLE.map(([first, last]) =>
    org.insert('User', {
      FirstName: first,
      LastName: last,
      Email: `${first.toLowerCase()}.${last.toLowerCase().replace(/\s/g, '')}@partner.example`.normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
      Phone: `+31 20 555 ${String(1000 + Math.floor(r() * 8999))}`,
      Username: `${first.toLowerCase()}@partner.example`,
      IsActive: true,
    }),
  );
  const accountCount = Math.max(1, Math.min(2000, Math.ceil(opportunities / 4)));
  const accounts: string[] = [];
  for (let i = 0; i < accountCount; i++) {
    const [country, city, postal] = pick(r, PLACES);
    const name = i < COMPANIES.length ? COMPANIES[i]! : `${pick(r, COMPANIES)} ${Math.floor(i / COMPANIES.length) + 1}`;
    // A few accounts without a country: their opportunities get a clear ✖ instead of syncing.
    const missing = i % 37 === 36;
    accounts.push(
      org.insert('Account', {
        Name: name,
        BillingCity: city,
        BillingPostalCode: postal,
        BillingStreet: `${1 + Math.floor(r() * 200)} Main Street`,
        ...(missing ? {} : { BillingCountry: country }),
        OwnerId: pick(r, owners),
      }),
    );
  }
  const today = Date.now();
  for (let i = 0; i < opportunities; i++) {
    const roll = r();
    const stage = roll < 0.08 ? 'Closed Won' : roll < 0.14 ? 'Closed Lost' : pick(r, OPEN_STAGES);
    const account = pick(r, accounts);
    const help = pick(r, HELP);
    const [cf, cl] = pick(r, CONTACTS);
    org.insert('Opportunity', {
      Name: `${org.get('Account', account).Name as string} – ${pick(r, ['Azure migration', 'Dynamics rollout', 'Data platform', 'Security review', 'Copilot pilot'])}`,
      StageName: stage,
      Amount: Math.round(5 + r() * 495) * 1000,
      CurrencyIsoCode: pick(r, CURRENCIES),
      CloseDate: new Date(today + Math.floor((r() * 240 - 30) * 86_400_000)).toISOString().slice(0, 10),
      Description: r() < 0.5 ? 'Customer evaluating options; follow-up scheduled.' : null,
      AccountId: account,
      OwnerId: pick(r, owners),
      Sync_with_Partner_Center__c: r() < 0.5,
      How_can_Microsoft_help__c: help,
      Visible_to_Microsoft__c: help !== 'None' || r() < 0.4,
      Partner_Center_Solutions__c: [pick(r, SOLUTIONS), ...(r() < 0.3 ? [pick(r, SOLUTIONS)] : [])].filter((v, k, a) => a.indexOf(v) === k).join(';'),
      ...(stage === 'Closed Lost' ? { Loss_Reason__c: pick(r, ['Price', 'Competitor', 'No budget']) } : {}),
      // The customer's contact: required once Microsoft sellers are invited (most co-sell deals have one).
      ...(help !== 'None' || r() < 0.5
        ? {
            Customer_Contact_First_Name__c: cf,
            Customer_Contact_Last_Name__c: cl,
            Customer_Contact_Email__c: `${cf.toLowerCase()}@customer.example`,
            Customer_Contact_Phone__c: `+1 206 555 ${String(1000 + Math.floor(r() * 8999))}`,
          }
        : {}),
    });
  }
}

/** Simulated reps: every interval a few edits, stage moves, wins, losses and the odd delete. */
export function startActivity(org: Org, intervalMs: number, seed: number, log: Logger = silentLogger): () => void {
  const r = seededRandom(seed + 1);
  const timer = setInterval(() => {
    const open = org.all('Opportunity').filter((o) => !o.IsClosed);
    if (open.length === 0) return;
    for (let i = 0; i < 3; i++) {
      const o = pick(r, open);
      const roll = r();
      try {
        if (roll < 0.4) org.update('Opportunity', o.Id as string, { Amount: Math.round(((o.Amount as number) ?? 10_000) * (0.9 + r() * 0.3)) });
        else if (roll < 0.7) {
          const at = OPEN_STAGES.indexOf(o.StageName as string);
          if (at >= 0 && at < OPEN_STAGES.length - 1) org.update('Opportunity', o.Id as string, { StageName: OPEN_STAGES[at + 1] });
        } else if (roll < 0.8) org.update('Opportunity', o.Id as string, { StageName: 'Closed Won' });
        else if (roll < 0.88) org.update('Opportunity', o.Id as string, { StageName: 'Closed Lost', Loss_Reason__c: 'Competitor' });
        else if (roll < 0.97) org.update('Opportunity', o.Id as string, { Description: `Call notes ${new Date().toISOString().slice(0, 10)}` });
        else org.remove('Opportunity', o.Id as string);
      } catch (err) {
        log.debug('sandbox activity skipped', { error: (err as Error).message });
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * `n` identical, eligible opportunities of one account and owner (`Deal 0` … or as `name` says): the uniform
 * load the benchmarks and the reliability and distributed tests sync.
 */
export function insertBulkOpportunities(org: Pick<Org, 'insert'>, n: number, o: { account?: string; name?: (i: number) => string } = {}): void {
  const owner = org.insert('User', { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+31 20 555 0100' });
  const account = org.insert('Account', { Name: o.account ?? 'Contoso', BillingCountry: 'NL' });
  for (let i = 0; i < n; i++) {
    org.insert('Opportunity', {
      Name: o.name?.(i) ?? `Deal ${i}`,
      StageName: 'Needs Analysis',
      Amount: 1000 + i,
      CurrencyIsoCode: 'EUR',
      CloseDate: '2027-01-01',
      AccountId: account,
      OwnerId: owner,
      Sync_with_Partner_Center__c: true,
      Partner_Center_Solutions__c: 'SOL-1',
    });
  }
}
