/** Records that did not sync (retry one, the selected ones, or all) and field conflicts (pick a side per field). */
import { useState } from 'react';
import { api, q } from '../api.js';
import { show, when } from '../format.js';
import { href, useAction, useLoad } from '../hooks.js';
import { useCanWrite, useSession } from '../session.js';
import type { Conflict, Issue } from '../types.js';
import { Frame, Message } from '../ui.js';

const keyOf = (i: Issue) => `${i.connection}|${i.recordKey}`;

function IssueList() {
  const canWrite = useCanWrite();
  const { connections } = useSession();
  const issues = useLoad(() => api<{ items: Issue[]; total: number }>('GET', `/issues${q({ limit: 200 })}`), [], 5000);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const action = useAction();
  const retry = (connection: string, records?: string[]) => api<{ queued: number }>('POST', '/issues/retry', { connection, ...(records ? { records } : {}) }).then((r) => r.queued);
  const retryMany = (list: Issue[], what: string) =>
    action.run(async () => {
      const by = new Map<string, string[]>();
      for (const i of list) by.set(i.connection, [...(by.get(i.connection) ?? []), i.recordKey]);
      let queued = 0;
      for (const [c, keys] of by) queued += await retry(c, keys);
      setSelected(new Set());
      return `${queued} ${what} will be read again from both sides on the next sync.`;
    });
  const retryAll = () =>
    action.run(async () => {
      let queued = 0;
      for (const c of connections) queued += await retry(c);
      return `${queued} records will be read again from both sides on the next sync.`;
    });
  const toggle = (k: string) => setSelected((s) => (s.has(k) ? (s.delete(k), new Set(s)) : new Set(s.add(k))));
  return (
    <section aria-labelledby="issues-h">
      <h2 id="issues-h">Records that did not sync</h2>
      <Frame loaded={issues}>
        {(p) => (
          <>
            <p>{p.total === 0 ? 'Every record synced.' : `${p.total} record${p.total === 1 ? '' : 's'} did not sync. Fix the record in the CRM (or the mapping), then retry.`}</p>
            {canWrite && p.total ? (
              <div className="row">
                <button
                  type="button"
                  disabled={action.busy || !selected.size}
                  onClick={() =>
                    retryMany(
                      p.items.filter((i) => selected.has(keyOf(i))),
                      'selected records',
                    )
                  }
                >
                  Retry selected ({selected.size})
                </button>
                <button type="button" disabled={action.busy} onClick={retryAll}>
                  Retry all
                </button>
              </div>
            ) : null}
            <Message message={action.message} />
            {p.items.length ? (
              <table>
                <caption className="sr-only">Issues</caption>
                <thead>
                  <tr>
                    {canWrite ? (
                      <th scope="col">
                        <span className="sr-only">Select</span>
                      </th>
                    ) : null}
                    <th scope="col">Record</th>
                    <th scope="col">Connection</th>
                    <th scope="col">Why</th>
                    <th scope="col">Seen</th>
                    <th scope="col">Attempts</th>
                    {canWrite ? (
                      <th scope="col">
                        <span className="sr-only">Retry</span>
                      </th>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((i) => {
                    const [side, id] = i.recordKey.split(/:(.*)/s) as [string, string];
                    return (
                      <tr key={keyOf(i)}>
                        {canWrite ? (
                          <td>
                            <input type="checkbox" aria-label={`Select ${i.recordKey}`} checked={selected.has(keyOf(i))} onChange={() => toggle(keyOf(i))} />
                          </td>
                        ) : null}
                        <td>{side === 'crm' ? <a href={href('record', i.connection, id)}>{i.recordKey}</a> : i.recordKey}</td>
                        <td>{i.connection}</td>
                        <td>
                          {i.message}
                          {i.retry ? <em> (retry queued)</em> : null}
                        </td>
                        <td>
                          {when(i.firstSeen)}
                          {i.lastSeen !== i.firstSeen ? ` – ${when(i.lastSeen)}` : ''}
                        </td>
                        <td>{i.attempts}</td>
                        {canWrite ? (
                          <td>
                            <button type="button" disabled={action.busy} onClick={() => retryMany([i], 'record')}>
                              Retry
                            </button>
                          </td>
                        ) : null}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : null}
          </>
        )}
      </Frame>
    </section>
  );
}

function ConflictList() {
  const canWrite = useCanWrite();
  const conflicts = useLoad(() => api<{ items: Conflict[]; total: number }>('GET', `/conflicts${q({ limit: 200 })}`), [], 5000);
  const action = useAction();
  const resolve = (c: Conflict, take: 'crm' | 'referral') =>
    action.run(async () => {
      await api('POST', `/conflicts/${c.id}/resolve`, { take });
      conflicts.reload();
      return `${c.field} of ${c.crmId}: the ${take === 'crm' ? 'CRM' : 'referral'} value is kept; the next sync writes it to the other side.`;
    });
  return (
    <section aria-labelledby="conflicts-h">
      <h2 id="conflicts-h">Conflicts</h2>
      <Message message={action.message} />
      <Frame loaded={conflicts}>
        {(p) =>
          p.items.length ? (
            <table>
              <caption className="sr-only">Open conflicts</caption>
              <thead>
                <tr>
                  <th scope="col">Deal</th>
                  <th scope="col">Field</th>
                  <th scope="col">In the CRM</th>
                  <th scope="col">On the referral</th>
                  <th scope="col">Before</th>
                  <th scope="col">Noticed</th>
                  {canWrite ? <th scope="col">Keep</th> : null}
                </tr>
              </thead>
              <tbody>
                {p.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <a href={href('record', c.connection, c.crmId)}>{c.crmId}</a>
                    </td>
                    <td>{c.field}</td>
                    <td>{show(c.crmValue)}</td>
                    <td>{show(c.referralValue)}</td>
                    <td>{show(c.baseValue)}</td>
                    <td>{when(c.createdAt)}</td>
                    {canWrite ? (
                      <td>
                        <div className="row">
                          <button type="button" disabled={action.busy} aria-label={`Keep the CRM value of ${c.field} for ${c.crmId}`} onClick={() => resolve(c, 'crm')}>
                            CRM value
                          </button>
                          <button type="button" disabled={action.busy} aria-label={`Keep the referral value of ${c.field} for ${c.crmId}`} onClick={() => resolve(c, 'referral')}>
                            Referral value
                          </button>
                        </div>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p>No conflicts: no field was changed on both sides under a manual policy.</p>
          )
        }
      </Frame>
    </section>
  );
}

export function Issues() {
  return (
    <>
      <h1>Issues and conflicts</h1>
      <IssueList />
      <ConflictList />
    </>
  );
}
