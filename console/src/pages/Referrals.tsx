/** The referral views (inbound, outbound, favorites, closed), paged by the referrals API, with the favorite toggle. */
import { useState } from 'react';
import { api, q } from '../api.js';
import { daysLeft, money, when } from '../format.js';
import { href, useAction, useLoad } from '../hooks.js';
import { useCanWrite, useSession } from '../session.js';
import type { Referral } from '../types.js';
import { Frame, Message } from '../ui.js';

const VIEWS = [
  ['inbound', 'Inbound'],
  ['outbound', 'Outbound'],
  ['favorites', 'Favorites'],
  ['closed', 'Closed'],
] as const;

function DaysLeft({ r }: { r: Referral }) {
  if (r.status !== 'New') return <>—</>;
  const d = daysLeft(r.expirationDateTime);
  if (d === null) return <>—</>;
  return <span className={d <= 3 ? 'badge issue' : undefined}>{d < 0 ? 'expired' : d === 0 ? 'last day' : `${d} day${d === 1 ? '' : 's'}`}</span>;
}

export function Referrals({ connection, view }: { connection: string; view: string }) {
  const { connections } = useSession();
  const canWrite = useCanWrite();
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const next = pages[pages.length - 1];
  const base = `/connections/${encodeURIComponent(connection)}/referrals`;
  const list = useLoad(async () => {
    const page = await api<{ items: Referral[]; next: string | null }>('GET', `${base}${q({ view, top: 25, next })}`);
    // Which rows have a CRM record (outbound ones, and inbound ones the sync created an opportunity for).
    const links = page.items.length
      ? await api<{ items: { referralId: string; crmId: string }[] }>(
          'GET',
          `/connections/${encodeURIComponent(connection)}/links${q({ referrals: page.items.map((r) => r.id).join(',') })}`,
        )
      : { items: [] };
    return { ...page, crmIds: new Map(links.items.map((l) => [l.referralId, l.crmId])) };
  }, [base, view, next]);
  const action = useAction();
  const favorite = (r: Referral) =>
    action.run(async () => {
      await api('POST', `${base}/${encodeURIComponent(r.id)}/favorite`, { favorite: !r.favorite });
      list.reload();
      return `${r.name ?? r.id} ${r.favorite ? 'removed from' : 'added to'} favorites.`;
    });
  const inbound = view === 'inbound';
  return (
    <>
      <h1>Referrals</h1>
      <nav aria-label="Connections" className="tabs">
        {connections.map((c) => (
          <a key={c} href={href('referrals', c, view)} aria-current={c === connection ? 'page' : undefined}>
            {c}
          </a>
        ))}
      </nav>
      <nav aria-label="Views" className="tabs">
        {VIEWS.map(([id, label]) => (
          <a key={id} href={href('referrals', connection, id)} aria-current={id === view ? 'page' : undefined} onClick={() => setPages([undefined])}>
            {label}
          </a>
        ))}
      </nav>
      <Message message={action.message} />
      <Frame loaded={list}>
        {(p) => (
          <>
            {p.items.length ? (
              <table>
                <caption className="sr-only">{view} referrals</caption>
                <thead>
                  <tr>
                    <th scope="col">Favorite</th>
                    <th scope="col">Deal</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Deal type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Value</th>
                    <th scope="col">Close date</th>
                    {inbound ? <th scope="col">Days left to respond</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((r) => (
                    <tr key={r.id} data-referral={r.id}>
                      <td>
                        <button
                          type="button"
                          className="heart"
                          aria-pressed={Boolean(r.favorite)}
                          disabled={!canWrite || action.busy}
                          aria-label={`Favorite: ${r.name ?? r.id}`}
                          onClick={() => favorite(r)}
                        >
                          {r.favorite ? '♥' : '♡'}
                        </button>
                      </td>
                      <td>{p.crmIds.has(r.id) ? <a href={href('record', connection, p.crmIds.get(r.id)!)}>{r.name ?? r.id}</a> : (r.name ?? r.id)}</td>
                      <td>{r.customerProfile?.name ?? '—'}</td>
                      <td>{r.dealType ?? '—'}</td>
                      <td>
                        {r.status}
                        {r.substatus ? ` · ${r.substatus}` : ''}
                      </td>
                      <td>{r.salesStage ?? '—'}</td>
                      <td>{money(r.details?.dealValue, r.details?.currency)}</td>
                      <td>{when(r.details?.closingDateTime).replace(/,? \d\d:\d\d$/, '')}</td>
                      {inbound ? (
                        <td>
                          <DaysLeft r={r} />
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p>No referrals in this view.</p>
            )}
            <div className="row pager">
              <button type="button" disabled={pages.length < 2} onClick={() => setPages((s) => s.slice(0, -1))}>
                Previous page
              </button>
              <button type="button" disabled={!p.next} onClick={() => p.next && setPages((s) => [...s, p.next!])}>
                Next page
              </button>
            </div>
          </>
        )}
      </Frame>
    </>
  );
}
