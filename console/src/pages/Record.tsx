/** One deal side by side: every deal field on the CRM, on the referral and as last agreed; status line; history. */
import { api } from '../api.js';
import { show, when } from '../format.js';
import { href, useLoad } from '../hooks.js';
import type { Comparison, LogEntry } from '../types.js';
import { Frame } from '../ui.js';

/** What the next sync would do with this record (a dry run on the server), in words. */
const ACTIONS: Record<string, string> = {
  'create-referral': 'create the referral',
  'patch-referral': 'update the referral',
  'write-crm': 'write the referral side back to the CRM record',
  'create-crm': 'create the opportunity in the CRM',
  unlink: 'unlink the record from its referral',
};

interface NextPlan {
  actions: string[];
  blocked: { reason: string; fields: string[] }[];
  conflicts: { field: string; crm: unknown; referral: unknown }[];
  problems: { path: string; message: string }[];
}

function NextSync({ plan }: { plan: NextPlan }) {
  const nothing = !plan.actions.length && !plan.blocked.length && !plan.conflicts.length && !plan.problems.length;
  return (
    <section aria-labelledby="next-sync">
      <h2 id="next-sync">Next sync</h2>
      {nothing ? <p>Nothing to do: both sides agree.</p> : null}
      <ul data-testid="next-plan">
        {plan.actions.map((a) => (
          <li key={a}>It would {ACTIONS[a] ?? a}.</li>
        ))}
        {plan.blocked.map((b) => (
          <li key={b.reason}>
            Held back ({b.fields.join(', ')}): {b.reason}
          </li>
        ))}
        {plan.conflicts.map((c) => (
          <li key={c.field}>
            Conflict on {LABELS[c.field] ?? c.field}: CRM {show(c.crm)}, referral {show(c.referral)} — resolve it under Issues and conflicts.
          </li>
        ))}
        {plan.problems.map((p) => (
          <li key={`${p.path}${p.message}`}>Problem: {p.message}</li>
        ))}
      </ul>
    </section>
  );
}

const LABELS: Record<string, string> = {
  name: 'Name',
  customer: 'Customer',
  contact: 'Contact',
  value: 'Deal value',
  currency: 'Currency',
  closeDate: 'Close date',
  notes: 'Notes',
  campaignId: 'Campaign',
  stage: 'Stage',
  statusReason: 'Status reason',
  helpType: 'Microsoft help',
  visibleToMicrosoft: 'Visible to Microsoft',
  team: 'Team',
  solutions: 'Solutions',
};

export function RecordPage({ connection, crmId }: { connection: string; crmId: string }) {
  const path = `/connections/${encodeURIComponent(connection)}/records/${encodeURIComponent(crmId)}`;
  const cmp = useLoad(() => api<Comparison>('GET', `${path}/compare`), [path]);
  const rec = useLoad(() => api<{ history: LogEntry[]; nextPlan: NextPlan }>('GET', path), [path]);
  return (
    <Frame loaded={cmp}>
      {(c) => (
        <>
          <h1>{c.name ?? crmId}</h1>
          <p className={`statusline ${c.state ?? 'none'}`} data-testid="status-line">
            {c.statusLine ?? (c.referralId ? 'In step.' : 'Not shared with the referrals API yet.')}
          </p>
          <p>
            CRM record <code>{c.crmId}</code> in {connection}
            {c.referralId ? (
              <>
                {' '}
                · referral{' '}
                {c.referralLink ? (
                  <a href={c.referralLink} rel="noreferrer">
                    {c.referralId}
                  </a>
                ) : (
                  <code>{c.referralId}</code>
                )}
              </>
            ) : null}
          </p>
          {c.problems.length ? (
            <div role="alert" className="msg bad">
              <p>The mapping cannot read this record:</p>
              <ul>
                {c.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <table className="sides">
            <caption>Every mapped field; rows where the two sides differ are marked “differs”.</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">In the CRM</th>
                <th scope="col">On the referral</th>
                <th scope="col">Last agreed</th>
              </tr>
            </thead>
            <tbody>
              {c.fields.map((f) => (
                <tr key={f.key} className={f.differs ? 'differs' : undefined}>
                  <th scope="row">
                    {LABELS[f.key] ?? f.key}
                    {f.differs ? <span className="badge conflict"> differs</span> : null}
                  </th>
                  <td>{show(f.crm)}</td>
                  <td>{show(f.referral)}</td>
                  <td>{show(f.agreed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Frame loaded={rec}>{(r) => <NextSync plan={r.nextPlan} />}</Frame>
          <h2>History</h2>
          <Frame loaded={rec}>
            {(r) =>
              r.history.length ? (
                <ol className="history">
                  {r.history.map((e) => (
                    <li key={e.id}>
                      {when(e.at)} — <a href={href('log', e.runId)}>run {e.runId}</a>: <span className={`badge ${e.outcome.replace(/ /g, '-')}`}>{e.outcome}</span> {e.reason ?? ''}
                    </li>
                  ))}
                </ol>
              ) : (
                <p>No sync has touched this record yet.</p>
              )
            }
          </Frame>
        </>
      )}
    </Frame>
  );
}
