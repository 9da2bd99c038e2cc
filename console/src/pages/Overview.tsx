/** One card per connection, refreshed every few seconds: health with the reason, runs, lag, counts, budget, actions. */
import { useState } from 'react';
import { api, q } from '../api.js';
import { ago, when } from '../format.js';
import { href, useAction, useLoad } from '../hooks.js';
import { useCanWrite } from '../session.js';
import type { ConnectionStatus, Page, Run } from '../types.js';
import { Confirm, Frame, Message } from '../ui.js';

const POLL_MS = 2000;

type Health = { level: 'healthy' | 'degraded' | 'paused' | 'failing'; why: string };

export function healthOf(c: ConnectionStatus, last: Run | undefined): Health {
  if (c.paused) return { level: 'paused', why: 'Paused by an admin: no scheduled, triggered or webhook syncs until resumed.' };
  if (last?.status === 'failed') return { level: 'failing', why: `The last run failed: ${last.error ?? 'no reason recorded'}` };
  if (!c.lastRun) return { level: 'degraded', why: 'No run has finished yet.' };
  const [used, max] = (c.crmBudget ?? '').split('/').map(Number);
  const reasons = [
    c.issues ? `${c.issues} record${c.issues === 1 ? '' : 's'} did not sync` : '',
    c.conflicts ? `${c.conflicts} conflict${c.conflicts === 1 ? '' : 's'} to resolve` : '',
    used && max && used / max >= 0.8 ? `the CRM's daily API budget is ${Math.round((100 * used) / max)} % used` : '',
  ].filter(Boolean);
  return reasons.length ? { level: 'degraded', why: `${reasons.join('; ')}.` } : { level: 'healthy', why: 'Every record synced on the last run.' };
}

function Budget({ budget, id }: { budget: string | null; id: string }) {
  const [used, max] = (budget ?? '').split('/').map(Number);
  if (used === undefined || Number.isNaN(used) || !max) return <p>CRM API budget: not reported by this CRM.</p>;
  return (
    <p className="gauge">
      <label htmlFor={id}>
        CRM daily API requests: {used!.toLocaleString('en-US')} of {max.toLocaleString('en-US')}
      </label>
      <meter id={id} min={0} max={max} low={max * 0.8} high={max * 0.95} optimum={0} value={used} />
    </p>
  );
}

interface Pressure {
  api: string;
  calls: number;
  throttled: number;
  retryAfterSeconds: number;
}

const API_NAMES: Record<string, string> = { salesforce: 'Salesforce', dynamics365: 'Dataverse', referrals: 'Referrals API (Partner Center)' };

function Throttling({ rows }: { rows: Pressure[] }) {
  if (!rows.length) return null;
  return (
    <p className="hint">
      Since the service started:{' '}
      {rows
        .map((r) => `${API_NAMES[r.api] ?? r.api} ${r.calls.toLocaleString('en-US')} calls, ${r.throttled} throttled (429), ${Math.round(r.retryAfterSeconds)} s of Retry-After`)
        .join('; ')}
      .
    </p>
  );
}

function Card({
  c,
  last,
  nextRun,
  pressure,
  onChanged,
}: {
  c: ConnectionStatus;
  last: Run | undefined;
  nextRun: string | null | undefined;
  pressure: Pressure[];
  onChanged(): void;
}) {
  const canWrite = useCanWrite();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const health = healthOf(c, last);
  // What the last finished run did (the status describes the newest run, which may still be running).
  const did = last
    ? { created: last.counts.created ?? 0, updated: last.counts.updated ?? 0, writtenBack: last.counts.writtenBack ?? 0, createdInCrm: last.counts.createdInCrm ?? 0 }
    : c.counts;
  const calls = last ? { crm: last.counts.crmCalls ?? 0, referrals: last.counts.referralCalls ?? 0 } : c.apiCalls;
  const budget = last?.counts.crmBudget ?? c.crmBudget;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const n = encodeURIComponent(c.connection);
  const act = (path: string, done: string) => action.run(async () => (await api('POST', `/connections/${n}/${path}`), onChanged(), done));
  return (
    <section className={`card ${health.level}`} aria-labelledby={`h-${c.connection}`}>
      <h2 id={`h-${c.connection}`}>
        {c.connection} <small>{c.crm === 'salesforce' ? 'Salesforce' : 'Dynamics 365'}</small>
      </h2>
      <p className="health" data-testid="health">
        <strong>{health.level}</strong> — {health.why}
      </p>
      <dl className="facts">
        <dt>Last run</dt>
        <dd>
          {c.lastRun ? (
            <a href={href('log', c.lastRun.id)}>
              {when(c.lastRun.startedAt)} ({c.lastRun.status})
            </a>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Next run</dt>
        <dd>{c.paused ? 'none while paused' : nextRun === undefined ? '…' : nextRun ? when(nextRun) : 'not scheduled'}</dd>
        <dt>Lag</dt>
        <dd>{c.lagSeconds === null ? 'never synced' : `changes older than ${ago(c.lagSeconds)} are synced`}</dd>
        <dt>Last finished run did</dt>
        <dd>
          {did.created} created, {did.updated} updated, {did.writtenBack} written back, {did.createdInCrm} created in CRM
        </dd>
        <dt>Linked deals</dt>
        <dd>{c.linked}</dd>
        <dt>Needs attention</dt>
        <dd>
          <a href={href('issues')}>{plural(c.issues, 'issue')}</a>, <a href={href('issues')}>{plural(c.conflicts, 'conflict')}</a>, {c.blocked} blocked
        </dd>
        <dt>API calls (that run)</dt>
        <dd>{calls ? `${calls.crm} to the CRM, ${calls.referrals} to the referrals API` : '—'}</dd>
      </dl>
      <Budget budget={budget} id={`budget-${c.connection}`} />
      <Throttling rows={pressure.filter((p) => p.api === c.crm || p.api === 'referrals')} />
      {canWrite ? (
        <div className="row">
          <button type="button" disabled={action.busy || c.paused} onClick={() => act('sync', `A sync of ${c.connection} was started; it shows in the sync log when done.`)}>
            Sync now
          </button>
          {c.paused ? (
            <button type="button" disabled={action.busy} onClick={() => act('resume', `${c.connection} resumed.`)}>
              Resume
            </button>
          ) : (
            <button type="button" disabled={action.busy} onClick={() => act('pause', `${c.connection} paused.`)}>
              Pause
            </button>
          )}
          <button type="button" disabled={action.busy || c.paused} onClick={() => setConfirming(true)}>
            Full resync…
          </button>
        </div>
      ) : null}
      <Message message={action.message} />
      <Confirm
        open={confirming}
        title={`Full resync of ${c.connection}?`}
        confirmLabel="Start the full resync"
        onCancel={() => setConfirming(false)}
        onConfirm={() => (setConfirming(false), act('resync', `A full resync of ${c.connection} was started.`))}
      >
        <p>
          This forgets where the sync left off and reads every opportunity and every referral again, then reconciles them with the existing links. Nothing is duplicated, but it
          takes longer and uses more API calls than a normal sync.
        </p>
      </Confirm>
    </section>
  );
}

export function Overview() {
  const status = useLoad(() => api<{ items: ConnectionStatus[] }>('GET', '/connections'), [], POLL_MS);
  const runs = useLoad(() => api<Page<Run>>('GET', `/runs${q({ limit: 50 })}`), [], POLL_MS);
  const pressure = useLoad(() => api<{ items: Pressure[] }>('GET', '/api-pressure'), [], POLL_MS);
  const schedule = useLoad(() => api<{ items: { connection: string; nextRun: string | null }[] }>('GET', '/schedule'), [], 30_000);
  return (
    <>
      <h1>Overview</h1>
      <p className="hint">Updates every {POLL_MS / 1000} seconds.</p>
      <Frame loaded={status}>
        {(s) => (
          <div className="cards">
            {s.items.map((c) => (
              <Card
                key={c.connection}
                c={c}
                last={runs.data?.items.find((r) => r.connection === c.connection && r.status !== 'running')}
                nextRun={schedule.data?.items.find((x) => x.connection === c.connection)?.nextRun}
                pressure={pressure.data?.items ?? []}
                onChanged={status.reload}
              />
            ))}
          </div>
        )}
      </Frame>
    </>
  );
}
