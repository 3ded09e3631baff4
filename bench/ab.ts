/**
 * An interleaved A/B of two raft-node configurations — two flag sets, two sets of node flags, or
 * two builds — at writes, by default on one connection, the point where single changes to the
 * write path show (or do not). `--workload index|lease|local` measures that kind of read instead
 * (on keys written first).
 *
 * Two tsraft clusters (three raft-node processes each, `--sync always`) that differ only in the
 * raft-node flags, the node flags or the checkout whose dist/ they run are up at once. Windows of
 * N writes alternate between them (A B, B A, A B, ...), so a slow minute of the shared VM hits
 * both alike — separate runs of one build swing by more than most changes are worth. A plain
 * HTTP/1.1 client times every write itself (autocannon reports whole milliseconds) on one
 * keep-alive socket, or on `--connections` sockets each sending its next write when the last is
 * answered. Prints each window, the medians, and in how many windows B was faster, with the
 * two-sided sign test's p for that split.
 *
 *   npm run bench:ab -- --a="--wal-preallocate false" --b= [--windows 10] [--writes 3000]
 *   (flags that start with a dash need the "--a=..." form; an empty --b= runs the defaults)
 *   npm run bench:ab -- --b-node=--max-semi-space-size=64 --connections 256 --writes 50000
 *   npm run bench:ab -- --a-checkout ../old [--b-checkout .] [--workload write|index|lease|local]
 *   (two builds: e.g. `git worktree add ../old HEAD~1 && (cd ../old && npm ci && npm run build)`)
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTsraft, type System } from './http/systems.js';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: '' },
    b: { type: 'string', default: '' },
    'a-node': { type: 'string', default: '' },
    'b-node': { type: 'string', default: '' },
    'a-checkout': { type: 'string' },
    'b-checkout': { type: 'string' },
    windows: { type: 'string', default: '10' },
    writes: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '1' },
    workload: { type: 'string', default: 'write' },
  },
});
type Workload = 'write' | 'index' | 'lease' | 'local';
const isWorkload = (w: string): w is Workload => w === 'write' || w === 'index' || w === 'lease' || w === 'local';
if (!isWorkload(values.workload)) throw new Error(`--workload: expected write, index, lease or local, got ${values.workload}`);
const workload: Workload = values.workload;
const windows = Number(values.windows);
const writesPerWindow = Number(values.writes);
if (!Number.isInteger(windows) || windows < 1) throw new Error(`--windows: expected a positive integer, got ${values.windows}`);
const connections = Number(values.connections);
if (!Number.isInteger(connections) || connections < 1) throw new Error(`--connections: expected a positive integer, got ${values.connections}`);
if (!Number.isInteger(writesPerWindow) || writesPerWindow < 10) throw new Error(`--writes: expected an integer >= 10, got ${values.writes}`);
const flagsOf = (raw: string): string[] => raw.split(/\s+/).filter((f) => f !== '');

/** One window's figures. */
interface Window {
  writesPerSecond: number;
  p50Micros: number;
}

/** The keys every window writes or reads (random 4-byte keys, as in `npm run bench`). */
const KEYS = Array.from({ length: 256 }, () => randomBytes(4).toString('hex'));

/**
 * `writes` requests of `kind` — PUTs of 32-byte values, or GETs of the keys written before —
 * over `connections` keep-alive sockets, each sending its next request when the last one is
 * answered; every answer must be 2xx.
 */
async function measureWindow(system: System, writes: number, connections: number, kind: Workload = workload): Promise<Window> {
  const url = new URL(system.endpoint.url);
  const requests = KEYS.map((key) => {
    const r = kind === 'write' ? system.endpoint.write(key, randomBytes(16).toString('hex')) : system.endpoint.read(key, kind);
    const body = r.body ?? '';
    return Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\nHost: bench\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  const sockets = await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = net.connect(Number(url.port), url.hostname);
      socket.setNoDelay(true);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      return socket;
    }),
  );
  const latencies = new Float64Array(writes);
  let sent = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve, reject) => {
      for (const socket of sockets) {
        let pending = '';
        let sentAt = 0n;
        const sendNext = (): void => {
          if (sent === writes) return;
          sentAt = process.hrtime.bigint();
          socket.write(requests[sent++ % requests.length]!);
        };
        socket.on('error', reject);
        socket.on('data', (chunk) => {
          pending += chunk.toString('latin1');
          const headerEnd = pending.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const length = Number(/content-length: *(\d+)/i.exec(pending.slice(0, headerEnd))?.[1] ?? 0);
          if (pending.length < headerEnd + 4 + length) return;
          if (!pending.startsWith('HTTP/1.1 2')) return reject(new Error(`a write failed: ${pending.slice(0, 200)}`));
          pending = pending.slice(headerEnd + 4 + length);
          latencies[done++] = Number(process.hrtime.bigint() - sentAt) / 1000;
          if (done === writes) return resolve();
          sendNext();
        });
        sendNext();
      }
    });
  } finally {
    for (const socket of sockets) socket.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  return { writesPerSecond: writes / seconds, p50Micros: latencies[Math.floor(writes / 2)]! };
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/**
 * Two-sided sign test: the chance of a split at least as lopsided as `k` of `n` windows if A and B
 * were the same (each window a coin flip). Small values mean the difference is not the VM's noise.
 */
function signTestP(k: number, n: number): number {
  let choose = 1; // C(n, 0)
  let tail = 0;
  const far = Math.max(k, n - k);
  for (let i = 0; i <= n; i++) {
    if (i >= far) tail += choose;
    choose = (choose * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/** raft-node flags and, if given, the checkout to run for one side. */
const side = (flags: string, nodeFlags: string, checkout: string | undefined): Parameters<typeof startTsraft>[0] => ({
  sync: 'always',
  extraArgs: flagsOf(flags),
  nodeArgs: flagsOf(nodeFlags),
  ...(checkout === undefined ? {} : { checkout: resolve(checkout) }),
});
const describe = (flags: string, nodeFlags: string, checkout: string | undefined): string =>
  `${nodeFlags ? `node ${nodeFlags} ` : ''}raft-node ${flags || '(defaults)'}${checkout === undefined ? '' : ` from ${resolve(checkout)}`}`;

const a = await startTsraft(side(values.a, values['a-node'], values['a-checkout']));
let b: System | undefined;
try {
  b = await startTsraft(side(values.b, values['b-node'], values['b-checkout']));
  console.log(`A: ${describe(values.a, values['a-node'], values['a-checkout'])}\nB: ${describe(values.b, values['b-node'], values['b-checkout'])}\n${windows} windows of ${writesPerWindow} ${workload === 'write' ? 'writes' : `${workload} reads`} each over ${connections} connection(s), alternating`);
  if (workload !== 'write') {
    // The keys the reads ask for.
    await measureWindow(a, KEYS.length, 1, 'write');
    await measureWindow(b, KEYS.length, 1, 'write');
  }
  // Warm both up (V8 compiles the hot paths) before anything counts.
  await measureWindow(a, writesPerWindow, connections);
  await measureWindow(b, writesPerWindow, connections);
  const results: Record<'A' | 'B', Window[]> = { A: [], B: [] };
  for (let w = 0; w < windows; w++) {
    const order: Array<['A' | 'B', System]> = w % 2 === 0 ? [['A', a], ['B', b]] : [['B', b], ['A', a]];
    for (const [name, system] of order) results[name].push(await measureWindow(system, writesPerWindow, connections));
    const [ra, rb] = [results.A[w]!, results.B[w]!];
    console.log(`window ${w + 1}: A ${ra.writesPerSecond.toFixed(0)}/s p50 ${ra.p50Micros.toFixed(0)} µs   B ${rb.writesPerSecond.toFixed(0)}/s p50 ${rb.p50Micros.toFixed(0)} µs`);
  }
  const qps = (name: 'A' | 'B'): number => median(results[name].map((r) => r.writesPerSecond));
  const p50 = (name: 'A' | 'B'): number => median(results[name].map((r) => r.p50Micros));
  const bFaster = results.A.filter((ra, w) => results.B[w]!.writesPerSecond > ra.writesPerSecond).length;
  console.log(
    `median: A ${qps('A').toFixed(0)} requests/s (p50 ${p50('A').toFixed(0)} µs), B ${qps('B').toFixed(0)} requests/s (p50 ${p50('B').toFixed(0)} µs); ` +
      `B/A ${(qps('B') / qps('A')).toFixed(3)}; B faster in ${bFaster} of ${windows} windows (sign test p = ${signTestP(bFaster, windows).toFixed(3)})`,
  );
} finally {
  await a.stop();
  await b?.stop();
}
