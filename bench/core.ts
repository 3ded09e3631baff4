/**
 * Core micro-benchmark: three Raft cores in one process, wired by an in-memory queue with
 * MemoryStorage, committing 100-byte entries proposed in batches. Measures how many entries per
 * second the pure state machine commits and applies on all three nodes, so the core is never the
 * bottleneck of the server. Baseline in the same run: pushing the same entries through an array
 * (the cost of the storage and apply loop alone).
 *
 *   npm run bench:core -- [--seconds 3] [--batch 256]
 */
import { MemoryStorage, Raft, SeededRandom, type Message, type NodeId, type Ready } from '../src/core/index.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const seconds = flag('seconds', 3);
const batches = process.argv.includes('--batch') ? [flag('batch', 256)] : [1, 16, 256, 1024];

function run(batch: number): { entriesPerSec: number; readySets: number } {
  const members = [1, 2, 3].map((id) => ({ id, role: 'voter' as const, promote: false, context: `n${id}` }));
  const nodes = new Map<NodeId, { raft: Raft; storage: MemoryStorage; applied: number }>();
  for (const m of members) {
    const rng = new SeededRandom(m.id);
    const storage = new MemoryStorage(members);
    const raft = new Raft({ id: m.id, random: () => rng.next(), clock: () => 0, maxInflightMessages: 64 }, storage);
    nodes.set(m.id, { raft, storage, applied: 0 });
  }
  let queue: Message[] = [];
  let readySets = 0;
  const drain = (): void => {
    for (;;) {
      let any = false;
      for (const n of nodes.values()) {
        if (!n.raft.hasReady()) continue;
        any = true;
        readySets++;
        const rd: Ready = n.raft.ready();
        for (const m of rd.earlyMessages) queue.push(m);
        n.storage.append(rd.entries);
        if (rd.hardState) n.storage.hardState = rd.hardState;
        for (const m of rd.messages) queue.push(m);
        n.applied += rd.committed.length;
        n.raft.advance(rd);
      }
      if (queue.length) {
        const q = queue;
        queue = [];
        for (const m of q) nodes.get(m.to)!.raft.step(m);
        any = true;
      }
      if (!any) return;
    }
  };
  const leaderNow = (): Raft | undefined => [...nodes.values()].find((n) => n.raft.role === 'leader')?.raft;
  for (let i = 0; i < 100 && !leaderNow(); i++) {
    for (const n of nodes.values()) n.raft.tick();
    drain();
  }
  const leader = leaderNow();
  if (!leader) throw new Error('no leader elected');
  const data = new Uint8Array(100).fill(7);
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let proposed = 0;
  const baseApplied = Math.min(...[...nodes.values()].map((n) => n.applied));
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) leader.propose(data);
    proposed += batch;
    drain();
  }
  // One more round so followers learn the final commit index.
  for (const n of nodes.values()) if (n.raft.role === 'leader') n.raft.tick();
  drain();
  const elapsed = (performance.now() - start) / 1000;
  const applied = Math.min(...[...nodes.values()].map((n) => n.applied)) - baseApplied;
  if (applied < proposed) throw new Error(`only ${applied} of ${proposed} entries applied everywhere`);
  return { entriesPerSec: applied / elapsed, readySets };
}

function baseline(): number {
  const data = new Uint8Array(100);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    const arr = [];
    for (let i = 0; i < 1024; i++) arr.push({ index: n + i, term: 1, type: 0, data });
    n += arr.length;
  }
  return n / ((performance.now() - start) / 1000);
}

console.log(`| batch | entries/s committed and applied on 3 nodes | Ready batches |`);
console.log(`| ---: | ---: | ---: |`);
for (const b of batches) {
  const r = run(b);
  console.log(`| ${b} | ${Math.round(r.entriesPerSec).toLocaleString('en-US')} | ${r.readySets.toLocaleString('en-US')} |`);
}
const base = baseline();
console.log(`\nbaseline (allocating entry objects only): ${Math.round(base).toLocaleString('en-US')} entries/s`);
