/**
 * Mappings: the stage table first (the live CRM's stages against the co-sell stage each maps to, a drop-down per
 * row, "suggest" for the gaps), then the rest of the file at a glance, then the YAML itself with problems at
 * line:column, a preview against a live record, and save (validated first; the service keeps a backup and uses
 * the new mapping from its next page on). Edits go through the `yaml` document API, so comments survive.
 */
import { useEffect, useRef, useState } from 'react';
import { parse } from 'yaml';
import { api } from '../api.js';
import { show } from '../format.js';
import { href, useAction, useLoad } from '../hooks.js';
import { useCanWrite, useSession } from '../session.js';
import type { Preview, Problem, StageTable } from '../types.js';
import { Frame, Message } from '../ui.js';
import { withStageChoices, type Choices } from '../stage-yaml.js';

function StageRows({ table, choices, setChoice, canWrite }: { table: StageTable; choices: Choices; setChoice(v: string, t: string): void; canWrite: boolean }) {
  return (
    <table>
      <caption>
        Stages of the CRM field <code>{table.field}</code>
      </caption>
      <thead>
        <tr>
          <th scope="col">CRM stage</th>
          <th scope="col">Probability</th>
          <th scope="col">Maps to</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        {table.stages.map((s) => {
          const choice = choices[s.value] ?? '';
          const unmapped = !choice && !s.mapped;
          const id = `stage-${s.value}`;
          return (
            <tr key={s.value} className={unmapped ? 'unmapped' : undefined} data-stage={s.value}>
              <th scope="row">
                <label htmlFor={id}>{s.label}</label>
                {s.label !== s.value ? <small> ({s.value})</small> : null}
              </th>
              <td>{s.probability === null ? '—' : `${s.probability} %`}</td>
              <td>
                <select id={id} value={choice} disabled={!canWrite} onChange={(e) => setChoice(s.value, e.target.value)}>
                  <option value="">{s.by && s.by !== 'map' ? `(by ${s.by}: ${s.mapped})` : '— not mapped —'}</option>
                  {table.targets.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                {unmapped ? <span className="badge issue">Unmapped: its deals cannot sync</span> : null}
                {s.closed ? <span className="badge">{s.won ? 'closed won' : 'closed'}</span> : null}
                {choice && choice !== s.suggested ? <small> suggestion: {s.suggested}</small> : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Summary({ text }: { text: string }) {
  let m: Record<string, unknown>;
  try {
    m = (parse(text) ?? {}) as Record<string, unknown>;
  } catch {
    return <p>The YAML below does not parse; fix it there.</p>;
  }
  const sections: [string, string, unknown][] = [
    ['fields', 'Fields', m.fields],
    ['dealType', 'Deal type', m.dealType],
    ['writeBack', 'Write-back to the CRM', m.writeBack],
    ['conflicts', 'Conflict policies', m.conflicts],
  ];
  return (
    <div className="sections">
      {sections.map(([key, title, value]) => (
        <section key={key} aria-labelledby={`sec-${key}`}>
          <h3 id={`sec-${key}`}>{title}</h3>
          {value && typeof value === 'object' ? (
            <dl className="facts">
              {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
                <div key={k} className="pair">
                  <dt>{k}</dt>
                  <dd>{typeof v === 'string' ? v : show(v)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p>Not set (defaults apply).</p>
          )}
        </section>
      ))}
    </div>
  );
}

function PreviewPanel({ connection, text }: { connection: string; text: string }) {
  const [record, setRecord] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const action = useAction();
  const run = () =>
    action.run(async () => {
      const p = await api<Preview>('POST', `/connections/${encodeURIComponent(connection)}/mapping/preview`, { record, text });
      setPreview(p);
      return `Record ${record} would become a ${p.dealType} deal at stage ${p.stage}${p.percent !== null ? ` (${p.percent} %)` : ''}.`;
    });
  return (
    <section aria-labelledby="preview-h">
      <h3 id="preview-h">Preview against a live record</h3>
      <form className="row" onSubmit={(e) => (e.preventDefault(), void run())}>
        <label htmlFor="preview-record">CRM record id</label>
        <input id="preview-record" value={record} onChange={(e) => setRecord(e.target.value)} />
        <button type="submit" disabled={!record || action.busy}>
          Preview
        </button>
      </form>
      <Message message={action.message} />
      {preview ? (
        <>
          {preview.problems.length ? (
            <ul className="problems">
              {preview.problems.map((p) => (
                <li key={p.path + p.message}>
                  {p.path}: {p.message}
                </li>
              ))}
            </ul>
          ) : (
            <p>No problems: this record would sync.</p>
          )}
          <table>
            <caption>The deal it would produce</caption>
            <thead>
              <tr>
                <th scope="col">Deal field</th>
                <th scope="col">From</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {preview.fields.map((f) => (
                <tr key={f.key}>
                  <th scope="row">{f.key}</th>
                  <td>
                    <code>{f.source}</code>
                  </td>
                  <td>{show(f.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

export function Mappings({ connection }: { connection: string }) {
  const { connections } = useSession();
  const canWrite = useCanWrite();
  const base = `/connections/${encodeURIComponent(connection)}/mapping`;
  const file = useLoad(() => api<{ file: string; text: string }>('GET', base), [base]);
  const table = useLoad(() => api<StageTable>('GET', `${base}/stages`), [base]);
  const [text, setText] = useState('');
  const [choices, setChoices] = useState<Choices>({});
  const [initial, setInitial] = useState<Choices>({});
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const stageAction = useAction();
  const yamlAction = useAction();
  const editor = useRef<HTMLTextAreaElement>(null);

  useEffect(() => setText(file.data?.text ?? ''), [file.data]);
  useEffect(() => {
    if (!table.data) return;
    const map = (() => {
      try {
        return ((parse(file.data?.text ?? '') as { stages?: { map?: Choices } })?.stages?.map ?? {}) as Choices;
      } catch {
        return {};
      }
    })();
    // The drop-down shows the table's names (Qualified for Qualify); only rows the admin changes are written back.
    const start = Object.fromEntries(table.data.stages.map((s) => [s.value, map[s.value] ? (s.mapped ?? '') : '']));
    setChoices(start);
    setInitial(start);
  }, [table.data, file.data]);

  const validate = async (t: string) => {
    const r = await api<{ ok: boolean; problems: Problem[] }>('POST', '/mappings/validate', { text: t, file: file.data?.file.split('/').pop() ?? 'mapping.yaml' });
    setProblems(r.problems);
    return r;
  };
  const save = async (t: string) => {
    const check = await validate(t);
    if (!check.ok) throw new Error(`Not saved: the mapping has ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'} (listed under the YAML).`);
    const r = await api<{ file: string; backup: string | null }>('PUT', base, { text: t });
    file.reload();
    table.reload();
    return `Saved ${r.file}${r.backup ? ` (the previous version is kept as ${r.backup})` : ''}. The running service uses it from its next sync on.`;
  };
  const jump = (p: Problem) => {
    const el = editor.current;
    if (!el) return;
    const lines = el.value.split('\n');
    const at = lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
    el.focus();
    el.setSelectionRange(at, at);
  };
  const unmapped = table.data?.stages.filter((s) => !s.mapped && !choices[s.value]).length ?? 0;

  return (
    <>
      <h1>Mappings</h1>
      <nav aria-label="Connections" className="tabs">
        {connections.map((c) => (
          <a key={c} href={href('mappings', c)} aria-current={c === connection ? 'page' : undefined}>
            {c}
          </a>
        ))}
      </nav>
      <section aria-labelledby="stages-h">
        <h2 id="stages-h">Stages</h2>
        <Frame loaded={table}>
          {(t) => (
            <>
              <p>
                {unmapped
                  ? `${unmapped} stage${unmapped === 1 ? ' is' : 's are'} not mapped: deals in ${unmapped === 1 ? 'it' : 'them'} cannot sync.`
                  : 'Every stage in use is mapped.'}
              </p>
              <StageRows table={t} choices={choices} canWrite={canWrite} setChoice={(v, c) => setChoices((x) => ({ ...x, [v]: c }))} />
              {canWrite ? (
                <div className="row">
                  <button type="button" onClick={() => setChoices((x) => Object.fromEntries(t.stages.map((s) => [s.value, x[s.value] || (s.mapped ? '' : s.suggested)])))}>
                    Suggest for unmapped stages
                  </button>
                  <button
                    type="button"
                    disabled={stageAction.busy}
                    onClick={() =>
                      stageAction.run(() => save(withStageChoices(file.data?.text ?? '', Object.fromEntries(Object.entries(choices).filter(([v, c]) => c !== initial[v])))))
                    }
                  >
                    Save stage table
                  </button>
                </div>
              ) : null}
              <Message message={stageAction.message} />
            </>
          )}
        </Frame>
      </section>
      <section aria-labelledby="rest-h">
        <h2 id="rest-h">Fields, deal type, write-back, policies</h2>
        <Summary text={file.data?.text ?? ''} />
      </section>
      <section aria-labelledby="yaml-h">
        <h2 id="yaml-h">YAML</h2>
        <Frame loaded={file}>
          {(f) => (
            <>
              <label htmlFor="yaml">{f.file}</label>
              <textarea id="yaml" ref={editor} spellCheck={false} rows={24} value={text} readOnly={!canWrite} onChange={(e) => setText(e.target.value)} />
              <div className="row">
                <button
                  type="button"
                  disabled={yamlAction.busy}
                  onClick={() => yamlAction.run(async () => ((await validate(text)).ok ? 'The mapping is valid.' : 'The mapping has problems (below).'))}
                >
                  Validate
                </button>
                {canWrite ? (
                  <button type="button" disabled={yamlAction.busy} onClick={() => yamlAction.run(() => save(text))}>
                    Save
                  </button>
                ) : null}
              </div>
              <Message message={yamlAction.message} />
              {problems?.length ? (
                <ul className="problems" aria-label="Problems">
                  {problems.map((p) => (
                    <li key={`${p.line}:${p.column}:${p.path}:${p.message}`}>
                      <button type="button" className="link" onClick={() => jump(p)}>
                        line {p.line}:{p.column}
                      </button>{' '}
                      <code>{p.path}</code> — {p.message}
                    </li>
                  ))}
                </ul>
              ) : null}
              <PreviewPanel connection={connection} text={text} />
            </>
          )}
        </Frame>
      </section>
    </>
  );
}
