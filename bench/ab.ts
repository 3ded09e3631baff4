/**
 * An interleaved A/B of two raft-node configurations — two flag sets, or two builds — at writes
 * on one connection, the point where single changes to the write path show (or do not).
 *
 * Two tsraft clusters (three raft-node processes each, `--sync always`) that differ only in the
 * raft-node flags given, or in the checkout whose dist/ they run, are up at once. Windows of N
 * writes alternate between them (A B, B A, A B, ...), so a slow minute of the shared VM hits both
 * alike — separate runs of one build swing by more than most changes are worth. A plain HTTP/1.1 client on one keep-alive socket times
 * every write itself (autocannon reports whole milliseconds). Prints each window, the medians,
 * and in how many windows B was faster.
 *
 *   npm run bench:ab -- --a="--wal-preallocate false" --b= [--windows 10] [--writes 3000]
 *   (flags that start with a dash need the "--a=..." form; an empty --b= runs the defaults)
 *   npm run bench:ab -- --a-checkout ../old [--b-checkout .]
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
    'a-checkout': { type: 'string' },
    'b-checkout': { type: 'string' },
    windows: { type: 'string', default: '10' },
    writes: { type: 'string', default: '3000' },
  },
});
const windows = Number(values.windows);
const writesPerWindow = Number(values.writes);
if (!Number.isInteger(windows) || windows < 1) throw new Error(`--windows: expected a positive integer, got ${values.windows}`);
if (!Number.isInteger(writesPerWindow) || writesPerWindow < 10) throw new Error(`--writes: expected an integer >= 10, got ${values.writes}`);
const flagsOf = (raw: string): string[] => raw.split(/\s+/).filter((f) => f !== '');

/** One window's figures. */
interface Window {
  writesPerSecond: number;
  p50Micros: number;
}

/** Serial PUTs (random 4-byte keys, 32-byte values) on one socket; every answer must be 2xx. */
async function measureWindow(system: System, writes: number): Promise<Window> {
  const url = new URL(system.endpoint.url);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const requests = Array.from({ length: 256 }, () => {
    const r = system.endpoint.write(randomBytes(4).toString('hex'), randomBytes(16).toString('hex'));
    const body = r.body ?? '';
    return Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\nHost: bench\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  const latencies = new Float64Array(writes);
  let done = 0;
  let sentAt = 0n;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let pending = '';
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
      sentAt = process.hrtime.bigint();
      socket.write(requests[done % requests.length]!);
    });
    sentAt = process.hrtime.bigint();
    socket.write(requests[0]!);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.destroy();
  latencies.sort();
  return { writesPerSecond: writes / seconds, p50Micros: latencies[Math.floor(writes / 2)]! };
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** raft-node flags and, if given, the checkout to run for one side. */
const side = (flags: string, checkout: string | undefined): Parameters<typeof startTsraft>[0] => ({
  sync: 'always',
  extraArgs: flagsOf(flags),
  ...(checkout === undefined ? {} : { checkout: resolve(checkout) }),
});
const describe = (flags: string, checkout: string | undefined): string => `raft-node ${flags || '(defaults)'}${checkout === undefined ? '' : ` from ${resolve(checkout)}`}`;

const a = await startTsraft(side(values.a, values['a-checkout']));
let b: System | undefined;
try {
  b = await startTsraft(side(values.b, values['b-checkout']));
  console.log(`A: ${describe(values.a, values['a-checkout'])}\nB: ${describe(values.b, values['b-checkout'])}\n${windows} windows of ${writesPerWindow} writes each, alternating`);
  // Warm both up (V8 compiles the hot paths) before anything counts.
  await measureWindow(a, writesPerWindow);
  await measureWindow(b, writesPerWindow);
  const results: Record<'A' | 'B', Window[]> = { A: [], B: [] };
  for (let w = 0; w < windows; w++) {
    const order: Array<['A' | 'B', System]> = w % 2 === 0 ? [['A', a], ['B', b]] : [['B', b], ['A', a]];
    for (const [name, system] of order) results[name].push(await measureWindow(system, writesPerWindow));
    const [ra, rb] = [results.A[w]!, results.B[w]!];
    console.log(`window ${w + 1}: A ${ra.writesPerSecond.toFixed(0)}/s p50 ${ra.p50Micros.toFixed(0)} µs   B ${rb.writesPerSecond.toFixed(0)}/s p50 ${rb.p50Micros.toFixed(0)} µs`);
  }
  const qps = (name: 'A' | 'B'): number => median(results[name].map((r) => r.writesPerSecond));
  const p50 = (name: 'A' | 'B'): number => median(results[name].map((r) => r.p50Micros));
  const bFaster = results.A.filter((ra, w) => results.B[w]!.writesPerSecond > ra.writesPerSecond).length;
  console.log(
    `median: A ${qps('A').toFixed(0)} writes/s (p50 ${p50('A').toFixed(0)} µs), B ${qps('B').toFixed(0)} writes/s (p50 ${p50('B').toFixed(0)} µs); ` +
      `B/A ${(qps('B') / qps('A')).toFixed(3)}; B faster in ${bFaster} of ${windows} windows`,
  );
} finally {
  await a.stop();
  await b?.stop();
}
