// Seeded random sequences of appends (some rolling segments), lazy and
// durable hard states, truncations at random points (inside sealed segments, whole segments,
// right after a reset), compactions and resets; the WAL is crashed at every file-system step of
// each sequence (also as a torn write, and as a power loss dropping unsynced directory operations).
import { register } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../helpers.js';

register('./fault-hooks.mjs', import.meta.url);
const { crashEverywhere } = await import('./harness.js');
type Op = import('./harness.js').Op;

function randomOps(seed: number, count: number): Op[] {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const ops: Op[] = [];
  let last = 0;
  let lastTerm = 1;
  let term = 1;
  let vote = 0;
  let commit = 0;
  let savedTerm = 0;
  let savedVote = 0;
  let floor = 0; // truncations never go below this (compaction point / reset)
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.45 || last === 0) {
      const n = int(1, 5);
      const hs = random() < 0.3 ? { term, vote, commit } : undefined;
      if (hs) [savedTerm, savedVote] = [term, vote];
      ops.push({ kind: 'save', from: last + 1, to: last + n, term: lastTerm, ...(hs ? { hs } : {}) });
      last += n;
    } else if (r < 0.55) {
      commit = Math.min(last, commit + int(1, 4));
      // As WalStorage.persist does: lazy only when term and vote are those already saved.
      const lazy = term === savedTerm && vote === savedVote;
      ops.push({ kind: 'save', hs: { term, vote, commit }, ...(lazy ? { lazy: true } : {}) });
      savedTerm = term;
      savedVote = vote;
    } else if (r < 0.65) {
      term++;
      vote = int(0, 3);
      lastTerm = term;
      ops.push({ kind: 'save', hs: { term, vote, commit } });
      [savedTerm, savedVote] = [term, vote];
    } else if (r < 0.8) {
      const lo = Math.max(floor, commit);
      if (last > lo) {
        const index = int(lo, last - 1);
        ops.push({ kind: 'truncate', index });
        last = index;
        term++;
        lastTerm = term;
      }
    } else if (r < 0.85) {
      if (last > commit && commit >= floor) {
        ops.push({ kind: 'truncateActiveStart' });
        // The model of the generator cannot know the segment start: resync with a reset below.
        term++;
        lastTerm = term;
        const index = last + 3;
        ops.push({ kind: 'reset', index, term: lastTerm, hs: { term, vote, commit: index } });
        [savedTerm, savedVote] = [term, vote];
        last = index;
        commit = index;
        floor = index;
      }
    } else if (r < 0.93) {
      const index = int(floor, commit);
      ops.push({ kind: 'compact', index });
      floor = Math.max(floor, index);
    } else {
      const index = Math.max(1, last + int(-6, 6), floor);
      term++;
      lastTerm = term;
      const withHs = random() < 0.5;
      ops.push({ kind: 'reset', index, term: lastTerm, ...(withHs ? { hs: { term, vote, commit: index } } : {}) });
      if (withHs) [savedTerm, savedVote] = [term, vote];
      last = index;
      commit = Math.max(commit, index);
      if (commit > index) commit = index;
      floor = index;
    }
  }
  return ops;
}

const SEEDS = (process.env.SEEDS ?? '1').split(',').map(Number);
for (const seed of SEEDS) {
  for (const preallocate of [true, false]) {
    test(`seed ${seed}, preallocate ${preallocate}: every crash recovers to the state before or after the op in progress`, async () => {
      const ops = randomOps(seed, 30);
      const result = await crashEverywhere(ops, { sync: 'always', segmentBytes: 400, preallocate, cacheBytes: 0 });
      console.log(`  seed ${seed} preallocate ${preallocate}: ${ops.length} ops, ${result.steps} steps, ${result.recoveries} recoveries, ${result.findings.length} findings`);
      for (const u of result.unsyncedAtResolve) console.log('  unsynced at resolve:', u);
      for (const f of result.findings.slice(0, 5)) console.log(`  step ${f.failAt}${f.torn ? ' torn' : ''} lost ${f.lostDirOps}, op ${f.op} ${JSON.stringify(ops[f.op])}: ${f.problem}`);
      assert.is(result.findings.length, 0);
    });
  }
}

test.run();
