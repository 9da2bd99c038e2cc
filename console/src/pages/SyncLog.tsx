/**
 * The sync log: runs newest first; a run opens to what it did to each record and why, filterable by outcome and
 * searchable by CRM id, referral id or name. Every list is paged by the server (older = the `next` cursor).
 */
import { useState, type FormEvent } from 'react';
import { api, q } from '../api.js';
import { when } from '../format.js';
import { href, useLoad } from '../hooks.js';
import { OUTCOMES, type LogEntry, type Page, type Run } from '../types.js';
import { Frame } from '../ui.js';

const PAGE = 50;

/** Newer/older through cursor pages: the stack holds the cursors of the pages before this one. */
function usePager() {
  const [stack, setStack] = useState<(number | undefined)[]>([]);
  const [cursor, setCursor] = useState<number | undefined>(undefined);
  return {
    cursor,
    reset: () => (setStack([]), setCursor(undefined)),
    older: (next: number) => (setStack((s) => [...s, cursor]), setCursor(next)),
    newer: stack.length ? () => (setCursor(stack[stack.length - 1]), setStack((s) => s.slice(0, -1))) : null,
  };
}

function Pager({ next, pager }: { next: number | null; pager: ReturnType<typeof usePager> }) {
  return (
    <div className="row pager">
      <button type="button" disabled={!pager.newer} onClick={() => pager.newer?.()}>
        Newer
      </button>
      <button type="button" disabled={next === null} onClick={() => next !== null && pager.older(next)}>
        Older
      </button>
    </div>
  );
}

function Entries({ entries }: { entries: LogEntry[] }) {
  if (!entries.length) return <p>No records match.</p>;
  return (
    <table>
      <caption className="sr-only">Per-record outcomes</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Deal</th>
          <th scope="col">CRM id</th>
          <th scope="col">Referral id</th>
          <th scope="col">Outcome</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-outcome={e.outcome}>
            <td>{when(e.at)}</td>
            <td>{e.crmId ? <a href={href('record', e.connection, e.crmId)}>{e.name ?? e.crmId}</a> : (e.name ?? '—')}</td>
            <td>{e.crmId ?? '—'}</td>
            <td>{e.referralId ?? '—'}</td>
            <td>
              <span className={`badge ${e.outcome.replace(/ /g, '-')}`}>{e.outcome}</span>
            </td>
            <td>{e.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SearchForm({ initial, onSearch, label }: { initial: string; onSearch(s: string): void; label: string }) {
  const [text, setText] = useState(initial);
  const submit = (e: FormEvent) => (e.preventDefault(), onSearch(text.trim()));
  return (
    // biome-ignore lint/a11y/useSemanticElements: a form with role=search is the ARIA pattern every browser here announces.
    <form className="row" role="search" onSubmit={submit}>
      <label htmlFor="log-search">{label}</label>
      <input id="log-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="CRM id, referral id or part of the name" />
      <button type="submit">Search</button>
    </form>
  );
}

function RunLog({ runId }: { runId: number }) {
  const [outcome, setOutcome] = useState('');
  const [search, setSearch] = useState('');
  const pager = usePager();
  const log = useLoad(() => api<Page<LogEntry>>('GET', `/runs/${runId}/log${q({ outcome, search, before: pager.cursor, limit: PAGE })}`), [runId, outcome, search, pager.cursor]);
  return (
    <>
      <p>
        <a href={href('log')}>← All runs</a>
      </p>
      <h1>Run {runId}</h1>
      <div className="row filters">
        <label htmlFor="outcome">Outcome</label>
        <select id="outcome" value={outcome} onChange={(e) => (setOutcome(e.target.value), pager.reset())}>
          <option value="">any</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
        <SearchForm initial={search} label="Find a record" onSearch={(s) => (setSearch(s), pager.reset())} />
      </div>
      <Frame loaded={log}>
        {(p) => (
          <>
            <Entries entries={p.items} />
            <Pager next={p.next} pager={pager} />
          </>
        )}
      </Frame>
    </>
  );
}

function Runs() {
  const pager = usePager();
  const [search, setSearch] = useState('');
  const runs = useLoad(() => api<Page<Run>>('GET', `/runs${q({ before: pager.cursor, limit: 25 })}`), [pager.cursor], 3000);
  const found = useLoad(() => (search ? api<Page<LogEntry>>('GET', `/sync-log${q({ search, limit: PAGE })}`) : Promise.resolve(null)), [search]);
  return (
    <>
      <h1>Sync log</h1>
      <SearchForm initial="" label="Find a record in every run" onSearch={setSearch} />
      {search ? (
        <section aria-labelledby="found-h">
          <h2 id="found-h">Records matching “{search}”</h2>
          <Frame loaded={found}>{(p) => (p ? <Entries entries={p.items} /> : null)}</Frame>
        </section>
      ) : null}
      <h2>Runs, newest first</h2>
      <Frame loaded={runs}>
        {(p) => (
          <>
            <table>
              <caption className="sr-only">Runs</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Connection</th>
                  <th scope="col">Started</th>
                  <th scope="col">Result</th>
                  <th scope="col">What it did</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <a href={href('log', r.id)}>Run {r.id}</a>
                    </td>
                    <td>{r.connection}</td>
                    <td>{when(r.startedAt)}</td>
                    <td>
                      <span className={`badge ${r.status}`}>{r.status}</span>
                      {r.error ? ` — ${r.error}` : ''}
                    </td>
                    <td>
                      {r.counts.created ?? 0} created, {r.counts.updated ?? 0} updated, {r.counts.writtenBack ?? 0} written back, {r.counts.issues ?? 0} issues,{' '}
                      {r.counts.conflicts ?? 0} conflicts, {r.counts.blocked ?? 0} blocked
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager next={p.next} pager={pager} />
          </>
        )}
      </Frame>
    </>
  );
}

export function SyncLog({ runId }: { runId: number | null }) {
  return runId ? <RunLog key={runId} runId={runId} /> : <Runs />;
}
