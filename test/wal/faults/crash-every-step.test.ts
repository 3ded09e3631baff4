// Crash the WAL at every file-system step of a scenario that covers appends, segment rolls,
// lazy hard states, truncations (inside a sealed segment, of a whole active segment replaced by
// name, of everything after a reset), compactions and resets (forward and backward). Each crash is
// also tried as a torn write, and as a power loss that drops the directory operations not yet
// fsync'ed. Every recovered copy must equal the log before or after the operation in progress.
import { register } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

register('./fault-hooks.mjs', import.meta.url);
const { crashEverywhere } = await import('./harness.js');
type Op = import('./harness.js').Op;

const SCENARIO: Op[] = [
  { kind: 'save', from: 1, to: 3, term: 1, hs: { term: 1, vote: 1, commit: 0 } },
  { kind: 'save', from: 4, to: 6, term: 1 },
  { kind: 'save', hs: { term: 1, vote: 1, commit: 3 }, lazy: true },
  { kind: 'save', from: 7, to: 9, term: 1 },
  { kind: 'save', from: 10, to: 12, term: 1, hs: { term: 1, vote: 1, commit: 8 } },
  { kind: 'save', from: 13, to: 15, term: 1 },
  { kind: 'truncate', index: 11 },
  { kind: 'save', hs: { term: 2, vote: 5, commit: 8 } },
  { kind: 'save', from: 12, to: 14, term: 2 },
  { kind: 'save', from: 15, to: 20, term: 2 },
  { kind: 'truncateActiveStart' },
  { kind: 'save', from: 0, to: -1, term: 0, hs: { term: 3, vote: 0, commit: 9 } },
  { kind: 'save', hs: { term: 3, vote: 0, commit: 10 }, lazy: true },
  { kind: 'compact', index: 10 },
  { kind: 'reset', index: 25, term: 4, hs: { term: 4, vote: 7, commit: 25 } },
  { kind: 'save', from: 26, to: 28, term: 4 },
  { kind: 'truncate', index: 25 },
  { kind: 'save', from: 26, to: 27, term: 5, hs: { term: 5, vote: 0, commit: 25 } },
  { kind: 'reset', index: 20, term: 3 },
  { kind: 'save', from: 21, to: 24, term: 5 },
  { kind: 'save', from: 25, to: 30, term: 5 },
  { kind: 'compact', index: 27 },
];

for (const preallocate of [true, false]) {
  test(`crash at every step (sync always, preallocate ${preallocate}): recovery is the state before or after the op`, async () => {
    const ops = SCENARIO.map((op) => (op.kind === 'save' && op.from === 0 ? { kind: 'save', hs: op.hs } as Op : op));
    const result = await crashEverywhere(ops, { sync: 'always', segmentBytes: 512, preallocate, cacheBytes: 0 });
    if (process.env.SHOWLOG) console.log(result.log.join("\n"));
    console.log(`preallocate ${preallocate}: ${result.steps} steps, ${result.recoveries} recoveries, ${result.findings.length} findings`);
    for (const u of result.unsyncedAtResolve) console.log('  unsynced at resolve:', u);
    for (const f of result.findings.slice(0, 10)) console.log(`  step ${f.failAt}${f.torn ? ' torn' : ''} lost ${f.lostDirOps} dir ops, op ${f.op}: ${f.problem}\n    ${f.log.slice(-6).join('\n    ')}`);
    assert.is(result.findings.length, 0);
  });
}

test('crash at every step of hard-state-only records filling segments (a roll replaces the segment by name)', async () => {
  const ops: Op[] = [{ kind: 'save', from: 1, to: 2, term: 1, hs: { term: 1, vote: 0, commit: 0 } }];
  for (let t = 2; t <= 14; t++) ops.push({ kind: 'save', hs: { term: t, vote: t % 3, commit: 1 } });
  ops.push({ kind: 'save', from: 3, to: 4, term: 14 });
  for (let t = 15; t <= 22; t++) ops.push({ kind: 'save', hs: { term: t, vote: 1, commit: 2 } });
  ops.push({ kind: 'reset', index: 10, term: 22 });
  for (let t = 23; t <= 30; t++) ops.push({ kind: 'save', hs: { term: t, vote: 2, commit: 10 } });
  const result = await crashEverywhere(ops, { sync: 'always', segmentBytes: 256, preallocate: true, cacheBytes: 0 });
  const replaced = result.log.filter((l) => l.includes('rename')).length;
  console.log(`hard-state rolls: ${result.steps} steps, ${replaced} renames, ${result.recoveries} recoveries, ${result.findings.length} findings`);
  for (const f of result.findings.slice(0, 5)) console.log(`  step ${f.failAt}${f.torn ? ' torn' : ''} lost ${f.lostDirOps}, op ${f.op}: ${f.problem}`);
  assert.is(result.findings.length, 0);
});

test.run();
