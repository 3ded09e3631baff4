/**
 * What a snapshot of a large key-value store costs the writes that arrive while it is written:
 * a one-member raft-node-style Node (KvStore, fsync'd WAL) holding `--keys` keys takes a
 * snapshot while `--writers` clients write one key after another; the same run is made with the
 * store's `capture()` (copy-on-write: entries go on applying while the file is written) and with
 * `save()` alone (applying waits for it). Reports the snapshot's duration and the writes' latency
 * inside and outside the snapshot's window.
 *
 *   node --import tsx bench/snapshot-stall.ts [--keys 500000] [--writers 16] [--seconds 4]
 *   (npm run bench:snapshot-stall)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../src/node.js';
import { KvStore, SetCommand, installKv, saveKv, recoverKv } from '../src/kv/index.js';
import { freePort } from '../test/support/ports.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const KEYS = flag('keys', 500_000);
const WRITERS = flag('writers', 16);
const SECONDS = flag('seconds', 4);

interface Outcome {
  mode: string;
  snapshotMs: number;
  during: number[];
  outside: number[];
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function run(mode: 'capture' | 'save'): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-snapshot-stall-'));
  const store = new KvStore();
  const value = Buffer.alloc(32, 0x61);
  // Filled straight into the context: only the snapshot's size matters here, not how it got there.
  for (let i = 0; i < KEYS; i++) store.set(`key-${i}`, value);
  const node = await Node.create<KvStore>({ host: '127.0.0.1', port: await freePort(), dataDir: dir, context: store, sync: 'always', logLevel: 'error' });
  installKv(node);
  if (mode === 'save') node.setSnapshot({ save: (w) => saveKv(store, w), recover: (r) => recoverKv(store, r) });
  try {
    await node.start();
    while (!node.isLeader()) await new Promise((resolve) => setTimeout(resolve, 10));
    let window: [number, number] | undefined;
    const samples: Array<[number, number]> = []; // [start, latency ms]
    const end = performance.now() + SECONDS * 1000;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; performance.now() < end; i++) {
        const started = performance.now();
        await node.do(new SetCommand(`w${w}-${i % 1000}`, value));
        samples.push([started, performance.now() - started]);
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const snapStart = performance.now();
    await node.snapshot();
    window = [snapStart, performance.now()];
    await Promise.all(writers);
    const [from, to] = window;
    // A write is "during" the snapshot if it was in flight at any point of its window.
    const during = samples.filter(([s, ms]) => s < to && s + ms > from).map(([, ms]) => ms);
    const outside = samples.filter(([s, ms]) => !(s < to && s + ms > from)).map(([, ms]) => ms);
    return { mode, snapshotMs: to - from, during, outside };
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1));
console.log(`snapshot of ${KEYS.toLocaleString('en')} keys (32-byte values) while ${WRITERS} clients write, ${SECONDS} s a run, WAL fsync'd\n`);
console.log('| snapshot by | snapshot ms | writes in flight during it | their p50 / p99 / max ms | other writes p50 / p99 / max ms |');
console.log('| --- | --: | --: | --: | --: |');
for (const mode of ['save', 'capture', 'save', 'capture'] as const) {
  const o = await run(mode);
  console.log(
    `| ${mode === 'capture' ? '`capture()`' : '`save()` alone'} | ${o.snapshotMs.toFixed(0)} | ${o.during.length} | ${fmt(quantile(o.during, 0.5))} / ${fmt(quantile(o.during, 0.99))} / ${fmt(Math.max(...o.during))} | ${fmt(quantile(o.outside, 0.5))} / ${fmt(quantile(o.outside, 0.99))} / ${fmt(Math.max(...o.outside))} |`,
  );
}
