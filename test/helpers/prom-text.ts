/**
 * A small parser of the Prometheus text exposition format (0.0.4): families with their TYPE and HELP, and
 * samples with labels. Strict: a line it cannot read throws, so a malformed exposition fails the test.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels: {${text}}`);
    out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return out;
}

const num = (s: string) => (s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : s === 'NaN' ? NaN : Number(s));

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'TYPE') f.type = meta[3]!;
      else f.help = meta[3]!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m || (Number.isNaN(num(m[4]!)) && m[4] !== 'NaN')) throw new Error(`not a Prometheus sample line: ${line}`);
    const name = m[1]!;
    const base = [...families.keys()].find(
      (f) => name === f || ((families.get(f)!.type === 'histogram' || families.get(f)!.type === 'summary') && /^(.+)_(bucket|sum|count)$/.exec(name)?.[1] === f),
    );
    family(base ?? name).samples.push({ name, labels: m[3] ? parseLabels(m[3]) : {}, value: num(m[4]!) });
  }
  return families;
}

/** The value of one sample of a family whose labels include `labels` (undefined when absent). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = [...families.values()].find((x) => x.samples.some((s) => s.name === name));
  return f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
