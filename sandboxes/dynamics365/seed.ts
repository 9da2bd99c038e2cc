/** Demo data and simulated sales reps for the Dataverse sandbox (deterministic with a seed). */
import { seededRandom, silentLogger, type Logger } from '../../src/runtime/index.js';
import type { Dataverse } from './dataverse.js';

const COMPANIES = [
  'Contoso Pharmaceuticals',
  'Fabrikam Residences',
  'Northwind Health',
  'Adatum Corporation',
  'Relecloud',
  'Trey Research',
  'Blue Yonder Airlines',
  'City Power & Light',
  'Humongous Insurance',
  'Lucerne Publishing',
  'Munson’s Pickles',
  'Graphic Design Institute',
];
const PLACES: [string, string, string][] = [
  ['Netherlands', 'Rotterdam', '3011 AA'],
  ['NL', 'Eindhoven', '5611 AA'],
  ['United States', 'Redmond', '98052'],
  ['USA', 'Chicago', '60601'],
  ['Germany', 'Munich', '80331'],
  ['DE', 'Hamburg', '20095'],
  ['United Kingdom', 'Manchester', 'M1 1AE'],
  ['Spain', 'Madrid', '28001'],
  ['Canada', 'Toronto', 'M5H 2N2'],
];
const PEOPLE: [string, string][] = [
  ['Femke', 'Bakker'],
  ['Gary', 'Chen'],
  ['Hana', 'Sato'],
  ['Iker', 'Garcia'],
];
const SOLUTIONS = ['SOL-AZ-001', 'SOL-AZ-002', 'SOL-BA-010', 'SOL-M365-020'];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function seedDataverse(dv: Dataverse, opportunities: number, seed: number): void {
  const r = seededRandom(seed);
  const currencies = ['USD', 'EUR', 'GBP'].map((c) => dv.insert('transactioncurrencies', { isocurrencycode: c, currencyname: c }));
  const users = PEOPLE.map(([f, l]) =>
    dv.insert('systemusers', {
      firstname: f,
      lastname: l,
      internalemailaddress: `${f.toLowerCase()}.${l.toLowerCase()}@partner.example`,
      address1_telephone1: `+1 425 555 ${String(1000 + Math.floor(r() * 8999))}`,
    }),
  );
  const contacts = [
    ['Sue', 'Smith'],
    ['Tom', 'Jansen'],
    ['Uma', 'Rao'],
  ].map(([f, l]) =>
    dv.insert('contacts', { firstname: f, lastname: l, emailaddress1: `${f!.toLowerCase()}@customer.example`, telephone1: `+1 206 555 ${String(1000 + Math.floor(r() * 8999))}` }),
  );
  const accounts: string[] = [];
  const n = Math.max(1, Math.min(2000, Math.ceil(opportunities / 4)));
  for (let i = 0; i < n; i++) {
    const [country, city, postal] = pick(r, PLACES);
    const name = i < COMPANIES.length ? COMPANIES[i]! : `${pick(r, COMPANIES)} ${Math.floor(i / COMPANIES.length) + 1}`;
    accounts.push(
      dv.insert('accounts', {
        name,
        address1_city: city,
        address1_postalcode: postal,
        address1_line1: `${10 + Math.floor(r() * 90)} Market Street`,
        ...(i % 41 === 40 ? {} : { address1_country: country }),
      }),
    );
  }
  const day = 86_400_000;
  for (let i = 0; i < opportunities; i++) {
    const roll = r();
    const help = r() < 0.3 ? 100_000_001 + Math.floor(r() * 3) : 100_000_000;
    const id = dv.insert('opportunities', {
      name: `${pick(r, ['Cloud migration', 'CRM rollout', 'Analytics platform', 'Modern workplace', 'Security uplift'])} ${i + 1}`,
      estimatedvalue: Math.round(10 + r() * 490) * 1000,
      estimatedclosedate: new Date(Date.now() + Math.floor(r() * 200 - 20) * day).toISOString().slice(0, 10),
      salesstage: Math.floor(r() * 4),
      stepname: null,
      statuscode: r() < 0.06 ? 2 : 1,
      description: r() < 0.5 ? 'Discovery call held; technical deep dive next.' : null,
      'parentaccountid@odata.bind': `/accounts(${pick(r, accounts)})`,
      'owninguser@odata.bind': `/systemusers(${pick(r, users)})`,
      'transactioncurrencyid@odata.bind': `/transactioncurrencies(${pick(r, currencies)})`,
      ...(help !== 100_000_000 || r() < 0.5 ? { 'parentcontactid@odata.bind': `/contacts(${pick(r, contacts)})` } : {}),
      cosell_syncwithpartnercenter: r() < 0.5,
      cosell_howcanmicrosofthelp: help,
      cosell_visibletomicrosoft: help !== 100_000_000 || r() < 0.4,
      cosell_solutions: pick(r, SOLUTIONS),
    });
    if (roll < 0.07) dv.close(id, 'won');
    else if (roll < 0.12) dv.close(id, 'lost');
  }
}

export function startDataverseActivity(dv: Dataverse, intervalMs: number, seed: number, log: Logger = silentLogger): () => void {
  const r = seededRandom(seed + 1);
  const timer = setInterval(() => {
    const open = dv.all('opportunities').filter((o) => o.statecode === 0);
    for (let i = 0; i < 3 && open.length; i++) {
      const o = pick(r, open);
      const id = String(o.opportunityid);
      const roll = r();
      try {
        if (roll < 0.4) dv.update('opportunities', id, { estimatedvalue: Math.round(Number(o.estimatedvalue ?? 10_000) * (0.9 + r() * 0.3)) });
        else if (roll < 0.7 && Number(o.salesstage) < 3) dv.update('opportunities', id, { salesstage: Number(o.salesstage) + 1 });
        else if (roll < 0.8) dv.close(id, 'won');
        else if (roll < 0.88) dv.close(id, 'lost');
        else if (roll < 0.97) dv.update('opportunities', id, { description: `Meeting notes ${new Date().toISOString().slice(0, 10)}` });
        else dv.remove('opportunities', id);
      } catch (err) {
        log.debug('sandbox activity skipped', { error: (err as Error).message });
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
