/**
 * The bench's servers — one CRM sandbox and one referral store — in a child process of their own, so the clients
 * under test (the sync and the API floor) run in the bench's process and the servers on the other core, the way
 * a deployed sync and the remote APIs never share a CPU. A process, not a worker thread: `process.cpuUsage()` of
 * the bench is then the client's CPU alone (GC helper threads included), which is what B1 reports per record.
 * The bench drives the child with a few commands: seed, touch (change the first n opportunities), latency, close.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReferralStore, type ReferralStoreHandle } from '../src/referral-store/index.js';
import { startDynamicsSandbox, type DynamicsSandbox, insertBulkOpportunities, startSalesforceSandbox, type SalesforceSandbox } from '../sandboxes/index.js';

export type CrmKind = 'salesforce' | 'dynamics365';

export interface SalesforceInfo {
  url: string;
  credentials: { loginUrl: string; clientId: string; username: string; privateKeyPem: string };
}

/** What the clients need to reach the servers: plain data, copied across the process boundary. */
export interface ServerInfo {
  store: { url: string; apiKey: string; adminKey: string };
  sf?: SalesforceInfo;
  d365?: { url: string; authority: string; credentials: { tenantId: string; clientId: string; clientSecret: string }; caPem: string; caFile: string };
}

/** Per-request answer delays in ms, [min, max] drawn uniformly from a seeded stream (a timer: no CPU spent waiting). */
export interface Latency {
  crm: [number, number];
  referrals: [number, number];
  seed: number;
}

type Command =
  | { cmd: 'start'; kind: CrmKind; n: number; dir: string; certRoot: string }
  | { cmd: 'addSalesforce'; n: number; certRoot: string }
  | { cmd: 'touch'; n: number }
  | { cmd: 'latency'; latency: Latency | null }
  | { cmd: 'cpu' }
  | { cmd: 'close' };

/** The child side: owns the servers and answers commands in order. */
function serve(port: { on(event: 'message', fn: (m: Command & { id: number }) => void): void; postMessage(m: unknown): void }): void {
  let store: ReferralStoreHandle | undefined;
  let sf: SalesforceSandbox | undefined;
  let d365: DynamicsSandbox | undefined;
  /** More Salesforce orgs, one per connection of a many-connection bench. */
  const more: SalesforceSandbox[] = [];

  const salesforce = async (n: number, certRoot: string): Promise<{ sandbox: SalesforceSandbox; info: SalesforceInfo }> => {
    const sandbox = await startSalesforceSandbox({ certDir: join(certRoot, 'salesforce') });
    insertBulkOpportunities(sandbox.org, n);
    const c = sandbox.credentials;
    return { sandbox, info: { url: sandbox.url, credentials: { loginUrl: c.loginUrl, clientId: c.clientId, username: c.username, privateKeyPem: c.privateKeyPem } } };
  };

  const start = async (kind: CrmKind, n: number, dir: string, certRoot: string): Promise<ServerInfo> => {
    store = await startReferralStore({
      dbFile: join(dir, 'store.db'),
      apiKey: 'bench-key-1234567',
      adminKey: 'bench-admin-1234567',
      microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
    });
    const info: ServerInfo = { store: { url: store.url, apiKey: store.apiKey, adminKey: store.adminKey } };
    if (kind === 'salesforce') {
      const s = await salesforce(n, certRoot);
      sf = s.sandbox;
      info.sf = s.info;
    } else {
      d365 = await startDynamicsSandbox({ certDir: join(certRoot, 'dynamics365'), limits: { requestsPer5Min: 10_000_000, concurrent: 1000 } });
      const owner = d365.org.insert('systemusers', { firstname: 'Ann', lastname: 'Lee', internalemailaddress: 'ann@partner.example', address1_telephone1: '+31 20 555 0100' });
      const account = d365.org.insert('accounts', { name: 'Contoso', address1_country: 'NL' });
      const currency = d365.org.insert('transactioncurrencies', { isocurrencycode: 'EUR', currencyname: 'Euro' });
      for (let i = 0; i < n; i++) {
        d365.org.insert('opportunities', {
          name: `Deal ${i}`,
          salesstage: 0,
          estimatedvalue: 1000 + i,
          estimatedclosedate: '2027-01-01',
          'parentaccountid@odata.bind': `/accounts(${account})`,
          'owninguser@odata.bind': `/systemusers(${owner})`,
          'transactioncurrencyid@odata.bind': `/transactioncurrencies(${currency})`,
          cosell_syncwithpartnercenter: true,
          cosell_solutions: 'SOL-1',
        });
      }
      info.d365 = { url: d365.url, authority: d365.authority, credentials: { ...d365.credentials }, caPem: d365.caPem, caFile: d365.caFile };
    }
    return info;
  };

  /** The same 1 % change a user would make: the amount of the first n opportunities. */
  const touch = (n: number) => {
    if (sf) for (const o of sf.org.all('Opportunity').slice(0, n)) sf.org.update('Opportunity', String(o.Id), { Amount: Number(o.Amount) + 1 });
    if (d365)
      for (const o of d365.org.all('opportunities').slice(0, n)) d365.org.update('opportunities', String(o.opportunityid), { estimatedvalue: Number(o.estimatedvalue) + 1 });
  };

  const latency = (l: Latency | null) => {
    const range = (r: [number, number] | undefined) => ({ latencyMs: r?.[0] ?? 0, latencyMaxMs: r?.[1] ?? 0, seed: l?.seed ?? 1 });
    store?.faults.configure(range(l?.referrals));
    (sf ?? d365)?.faults.configure(range(l?.crm));
  };

  let queue = Promise.resolve();
  port.on('message', (m: Command & { id: number }) => {
    queue = queue.then(async () => {
      try {
        const value =
          m.cmd === 'start'
            ? await start(m.kind, m.n, m.dir, m.certRoot)
            : m.cmd === 'addSalesforce'
              ? await salesforce(m.n, m.certRoot).then((s) => (more.push(s.sandbox), s.info))
              : m.cmd === 'touch'
                ? touch(m.n)
                : m.cmd === 'latency'
                  ? latency(m.latency)
                  : m.cmd === 'cpu'
                    ? process.cpuUsage()
                    : await Promise.all([sf?.close(), d365?.close(), store?.close(), ...more.map((s) => s.close())]).then(() => undefined);
        port.postMessage({ id: m.id, ok: true, value });
      } catch (err) {
        port.postMessage({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    });
  });
}

export interface ServerProcess {
  info: ServerInfo;
  touch(n: number): Promise<void>;
  latency(l: Latency | null): Promise<void>;
  /** The server process's CPU so far (user + system µs): where a run's time goes when the client is not the cost. */
  cpu(): Promise<NodeJS.CpuUsage>;
  /** Another Salesforce org with `n` opportunities, served by this process. */
  addSalesforce(n: number): Promise<SalesforceInfo>;
  close(): Promise<void>;
}

/** Start the server process with a seeded CRM of `n` opportunities and an empty store. */
export async function startServerProcess(kind: CrmKind, n: number, dir: string, certRoot: string): Promise<ServerProcess> {
  // The bench's own V8 flags apply to the servers too; a CPU profile of the client is not theirs to write.
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, COSELL_BENCH_SERVERS: '1' },
    execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
    serialization: 'advanced',
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const fail = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new Error(`bench servers: ${m.error}`));
  });
  child.on('error', fail);
  child.on('exit', (code) => fail(new Error(`bench servers exited (${code})`)));
  const send = <T>(c: Command): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...c, id });
    });
  const info = await send<ServerInfo>({ cmd: 'start', kind, n, dir, certRoot });
  return {
    info,
    touch: (count) => send<void>({ cmd: 'touch', n: count }),
    latency: (l) => send<void>({ cmd: 'latency', latency: l }),
    cpu: () => send<NodeJS.CpuUsage>({ cmd: 'cpu' }),
    addSalesforce: (count) => send<SalesforceInfo>({ cmd: 'addSalesforce', n: count, certRoot }),
    async close() {
      await send<void>({ cmd: 'close' });
      child.disconnect();
    },
  };
}

if (process.env.COSELL_BENCH_SERVERS === '1' && process.send) {
  const send = process.send.bind(process);
  serve({ on: (event, fn) => process.on(event, fn), postMessage: (m) => send(m) });
}
