/** One deal side by side: every deal field on the CRM, on the referral and as last agreed; status line; history. */
import { api } from '../api.js';
import { show, when } from '../format.js';
import { href, useLoad } from '../hooks.js';
import type { Comparison, LogEntry } from '../types.js';
import { Frame } from '../ui.js';

const LABELS: Record<string, string> = {
  name: 'Name', customer: 'Customer', contact: 'Contact', value: 'Deal value', currency: 'Currency', closeDate: 'Close date',
  notes: 'Notes', campaignId: 'Campaign', stage: 'Stage', statusReason: 'Status reason', helpType: 'Microsoft help',
  visibleToMicrosoft: 'Visible to Microsoft', team: 'Team', solutions: 'Solutions',
};

export function RecordPage({ connection, crmId }: { connection: string; crmId: string }) {
  const path = `/connections/${encodeURIComponent(connection)}/records/${encodeURIComponent(crmId)}`;
  const cmp = useLoad(() => api<Comparison>('GET', `${path}/compare`), [path]);
  const rec = useLoad(() => api<{ history: LogEntry[] }>('GET', path), [path]);
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
                {' '}· referral {c.referralLink ? <a href={c.referralLink} rel="noreferrer">{c.referralId}</a> : <code>{c.referralId}</code>}
              </>
            ) : null}
          </p>
          {c.problems.length ? (
            <div role="alert" className="msg bad">
              <p>The mapping cannot read this record:</p>
              <ul>{c.problems.map((p) => <li key={p}>{p}</li>)}</ul>
            </div>
          ) : null}
          <table className="sides">
            <caption>Every mapped field; rows where the two sides differ are marked “differs”.</caption>
            <thead>
              <tr><th scope="col">Field</th><th scope="col">In the CRM</th><th scope="col">On the referral</th><th scope="col">Last agreed</th></tr>
            </thead>
            <tbody>
              {c.fields.map((f) => (
                <tr key={f.key} className={f.differs ? 'differs' : undefined}>
                  <th scope="row">{LABELS[f.key] ?? f.key}{f.differs ? <span className="badge conflict"> differs</span> : null}</th>
                  <td>{show(f.crm)}</td>
                  <td>{show(f.referral)}</td>
                  <td>{show(f.agreed)}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
