// Strict reader of the Prometheus text exposition format (0.0.4): HELP and TYPE for every family, no NaN, no duplicate series, a family's lines together, histogram buckets rising to +Inf = count.
export interface Sample { name: string; labels: Record<string, string>; value: number; raw: string }
export interface Family { name: string; type: string; help: string | undefined; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value ${JSON.stringify(v)}`);
  return Number(v);
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in {${s}}`);
    if (s[eq + 1] !== '"') throw new Error(`label value not quoted in {${s}}`);
    let j = eq + 2;
    let value = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`bad escape in {${s}}`);
      } else value += s[j];
    }
    if (j >= s.length) throw new Error(`unterminated label value in {${s}}`);
    if (name in out) throw new Error(`repeated label ${name} in {${s}}`);
    out[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`junk after label in {${s}}`);
  }
  return out;
}

const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''], counter: [''], gauge: [''], untyped: [''] };

/** Parses strictly; throws on anything a strict Prometheus parser would refuse (plus NaN values). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const closed = new Set<string>();
  let current: Family | undefined;
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (current && current.name !== name) closed.add(current.name);
      if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
      if (kind === 'TYPE') {
        if (f.samples.length) throw new Error(`TYPE of ${name} after its samples`);
        if (!(rest in SUFFIXES)) throw new Error(`bad type ${rest} of ${name}`);
        f.type = rest;
      } else f.help = rest;
      current = f;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`unparsable sample line ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const labels = parseLabels(labelText ?? '');
    const value = parseValue(valueText);
    if (Number.isNaN(value)) throw new Error(`NaN value: ${line}`);
    const f = current;
    if (!f) throw new Error(`sample without TYPE: ${line}`);
    if (!SUFFIXES[f.type]!.some((s) => name === f.name + s)) throw new Error(`sample ${name} outside its family ${f.name}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seenSeries.has(key)) throw new Error(`duplicate series ${line}`);
    seenSeries.add(key);
    f.samples.push({ name, labels, value, raw: line });
  }
  for (const f of families.values()) {
    if (f.help === undefined) throw new Error(`no HELP for ${f.name}`);
    if (f.type === 'counter') for (const s of f.samples) if (!(s.value >= 0)) throw new Error(`negative counter ${s.raw}`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const k = JSON.stringify(Object.entries(rest).sort());
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(s);
  }
  for (const [k, samples] of groups) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name === f.name + '_count');
    const sum = samples.find((s) => s.name === f.name + '_sum');
    if (!count || !sum) throw new Error(`${f.name}${k}: missing _count or _sum`);
    let prev = -1;
    let prevLe = -Infinity;
    for (const b of buckets) {
      const le = parseValue(b.labels.le!);
      if (!(le > prevLe)) throw new Error(`${f.name}${k}: buckets not increasing`);
      if (b.value < prev) throw new Error(`${f.name}${k}: bucket counts decrease at le=${b.labels.le}`);
      prev = b.value;
      prevLe = le;
    }
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    if (!inf) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (inf.value !== count.value) throw new Error(`${f.name}${k}: +Inf bucket ${inf.value} != count ${count.value}`);
  }
}

/** The value of the one sample `name` with exactly `labels` (undefined when absent). */
export function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of fams.values())
    for (const s of f.samples)
      if (s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
  return undefined;
}
