// Codec micro-benchmark: msgpack-lite against msgpackr (standard MessagePack settings, as used by
// MsgpackCodec) on typical command payloads, with plain JSON as the baseline measured in the same
// run, plus tsraft's own JsonCodec and MsgpackCodec (library + error wrapping) to show what the
// wrappers cost. Encode and decode are measured separately.
//
// Method: for each payload and direction, every implementation is warmed up, then all of them run
// in short alternating slices (order rotated each round) until each has been measured for
// `--seconds`, so that a noisy, shared machine slows them alike. Clock reads are amortised over
// batches of calls. Prints markdown tables: ops/s with ratios against JSON, then msgpackr against
// msgpack-lite.
//
// Usage: node --import tsx bench/codec.ts [--seconds N]
//   --seconds  measuring time per implementation per point (default 3)
import { cpus, loadavg } from 'node:os';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import msgpackLite from 'msgpack-lite';
import { Packr } from 'msgpackr';
import { JsonCodec, MsgpackCodec } from '../src/codec.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);
const MEASURE_MS = seconds * 1000;
const WARMUP_MS = Math.min(1000, Math.max(300, MEASURE_MS / 4));
const SLICE_MS = 100;
const BATCH = 128;

interface Implementation {
  name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

// The same settings as MsgpackCodec: plain maps instead of msgpackr records, nil for undefined.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, copyBuffers: true });
const jsonCodec = new JsonCodec();
const msgpackCodec = new MsgpackCodec();

const implementations: Implementation[] = [
  {
    name: 'JSON (baseline)',
    encode: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
    decode: (b) => JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')),
  },
  { name: 'msgpack-lite', encode: (v) => msgpackLite.encode(v), decode: (b) => msgpackLite.decode(b) },
  { name: 'msgpackr', encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) },
  { name: 'tsraft JsonCodec', encode: (v) => jsonCodec.encode(v), decode: (b) => jsonCodec.decode(b) },
  { name: 'tsraft MsgpackCodec', encode: (v) => msgpackCodec.encode(v), decode: (b) => msgpackCodec.decode(b) },
];
const BASELINE = 'JSON (baseline)';

function text(length: number): string {
  let s = '';
  for (let i = 0; s.length < length; i++) s += String.fromCharCode(97 + ((i * 7) % 26));
  return s;
}
function bytes(length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

// Buffers (not bare Uint8Arrays) for binary values: msgpack-lite writes a bare Uint8Array as its
// own extension type, not as standard bin.
const payloads: { name: string; value: unknown }[] = [
  { name: 'KV set, 32 B string value', value: { key: 'k042', value: text(32) } },
  { name: 'KV set, 32 B binary value', value: { key: 'k042', value: bytes(32) } },
  {
    name: 'small object (7 fields)',
    value: { op: 'transfer', from: 'acct-0017', to: 'acct-0042', amount: 125.5, seq: 123456, at: 1700000000000, ok: true },
  },
  { name: 'KV set, 1 KiB string value', value: { key: 'k042', value: text(1024) } },
  { name: 'KV set, 1 KiB binary value', value: { key: 'k042', value: bytes(1024) } },
];

interface Tally {
  ops: number;
  ms: number;
}

let sink = 0;

/** Runs `op` in batches for about `ms` milliseconds, adding to `tally`. */
function runFor(ms: number, tally: Tally, op: () => void): void {
  const start = performance.now();
  let now = start;
  let ops = 0;
  while (now - start < ms) {
    for (let i = 0; i < BATCH; i++) op();
    ops += BATCH;
    now = performance.now();
  }
  tally.ops += ops;
  tally.ms += now - start;
}

/** Measures every implementation's `makeOp` in alternating slices; returns ops/s by name. */
function measure(makeOp: (impl: Implementation) => () => void): Map<string, number> {
  const ops = implementations.map((impl) => ({ impl, op: makeOp(impl), tally: { ops: 0, ms: 0 } as Tally }));
  for (const o of ops) runFor(WARMUP_MS, { ops: 0, ms: 0 }, o.op);
  for (let round = 0; ops.some((o) => o.tally.ms < MEASURE_MS); round++) {
    for (let k = 0; k < ops.length; k++) {
      const o = ops[(k + round) % ops.length]!;
      if (o.tally.ms < MEASURE_MS) runFor(Math.min(SLICE_MS, MEASURE_MS - o.tally.ms), o.tally, o.op);
    }
  }
  return new Map(ops.map((o) => [o.impl.name, (o.tally.ops / o.tally.ms) * 1000]));
}

/** Buffers compare equal to Uint8Arrays of the same bytes. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

// Sanity first: every implementation round-trips every payload (JSON only where it can), and
// msgpackr's output is standard MessagePack that msgpack-lite reads, and vice versa.
for (const { name, value } of payloads) {
  for (const impl of implementations) {
    if (impl.name === BASELINE && name.includes('binary')) continue;
    const back = impl.decode(impl.encode(value));
    if (!isDeepStrictEqual(normalize(back), normalize(value))) throw new Error(`${impl.name} does not round-trip ${name}`);
  }
  const crossA = msgpackLite.decode(packr.pack(value));
  const crossB = packr.unpack(msgpackLite.encode(value));
  if (!isDeepStrictEqual(normalize(crossA), normalize(value)) || !isDeepStrictEqual(normalize(crossB), normalize(value))) {
    throw new Error(`msgpackr and msgpack-lite disagree on ${name}`);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number) => `${n.toFixed(2)}×`;

console.log(`# Codec benchmark\n`);
console.log(
  `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${seconds} s per implementation per point after ${WARMUP_MS} ms warm-up.\n`,
);

const rows: string[] = [];
const versus: string[] = [];
for (const { name, value } of payloads) {
  const encoded = new Map(implementations.map((impl) => [impl.name, impl.encode(value)]));
  const enc = measure((impl) => () => {
    sink += impl.encode(value).length;
  });
  const dec = measure((impl) => {
    const input = encoded.get(impl.name)!;
    return () => {
      if (impl.decode(input) !== null) sink++;
    };
  });
  const baseEnc = enc.get(BASELINE)!;
  const baseDec = dec.get(BASELINE)!;
  for (const impl of implementations) {
    const e = enc.get(impl.name)!;
    const d = dec.get(impl.name)!;
    rows.push(
      `| ${name} | ${impl.name} | ${encoded.get(impl.name)!.length} | ${fmt(e)} | ${ratio(e / baseEnc)} | ${fmt(d)} | ${ratio(d / baseDec)} |`,
    );
  }
  versus.push(
    `| ${name} | ${ratio(enc.get('msgpackr')! / enc.get('msgpack-lite')!)} | ${ratio(dec.get('msgpackr')! / dec.get('msgpack-lite')!)} |`,
  );
  process.stderr.write(`done: ${name}\n`);
}

console.log('| command | implementation | bytes | encode ops/s | × JSON | decode ops/s | × JSON |');
console.log('|---|---|--:|--:|--:|--:|--:|');
for (const row of rows) console.log(row);
console.log('\nmsgpackr ÷ msgpack-lite (above 1 means msgpackr is faster):\n');
console.log('| command | encode | decode |');
console.log('|---|--:|--:|');
for (const row of versus) console.log(row);
if (sink === 0.5) console.log(''); // keep the results observable
