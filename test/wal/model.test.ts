// Model-based test: random sequences of save / truncateAfter / compactBefore / reset / reopen /
// entries run against the real WAL (tiny segments, so rolls happen all the time) and against a
// plain in-memory model of the log; after every step the two must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Wal, type Entry, type WalOptions } from '../../wal/index.js';
import { isIntact, makeEntry, removeDir, tempDir } from './helpers.js';
import { LogModel } from './log-model.js';

type Op =
  | { kind: 'save'; count: number; termBump: number; size: number; hardState: boolean }
  | { kind: 'burst'; saves: number; count: number; size: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'compact'; ahead: number }
  | { kind: 'reset'; ahead: number; termBump: number }
  | { kind: 'reopen' }
  | { kind: 'read'; from: number; length: number; maxBytes: number | undefined };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('save' as const),
      count: fc.integer({ min: 0, max: 8 }),
      termBump: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
      size: fc.integer({ min: 0, max: 120 }),
      hardState: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), saves: fc.integer({ min: 2, max: 5 }), count: fc.integer({ min: 1, max: 4 }), size: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 25 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), ahead: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), ahead: fc.integer({ min: -10, max: 30 }), termBump: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      from: fc.nat(60),
      length: fc.nat(60),
      maxBytes: fc.option(fc.nat(600), { nil: undefined }),
    }),
  },
);

function assertAgree(wal: Wal, model: LogModel, step: string): void {
  assert.is(wal.firstIndex, model.first, `${step}: firstIndex`);
  assert.is(wal.lastIndex, model.last, `${step}: lastIndex`);
  assert.equal(wal.hardState, model.hardState, `${step}: hardState`);
  for (let index = model.first - 2; index <= model.last + 1; index++) {
    assert.is(wal.term(index), model.termOf(index), `${step}: term(${index})`);
  }
}

async function assertEntries(wal: Wal, model: LogModel, lo: number, hi: number, maxBytes: number | undefined, step: string): Promise<void> {
  const got = await wal.entries(lo, hi, maxBytes);
  let expected = model.entries.slice(lo - model.first, hi - model.first);
  if (maxBytes !== undefined) {
    let bytes = 0;
    let keep = 0;
    while (keep < expected.length && (keep === 0 || bytes + expected[keep].data.length <= maxBytes)) bytes += expected[keep++].data.length;
    expected = expected.slice(0, keep);
  }
  assert.is(got.length, expected.length, `${step}: entries(${lo}, ${hi}, ${maxBytes}) count`);
  got.forEach((entry, k) => {
    assert.is(entry.index, expected[k].index, `${step}: index`);
    assert.is(entry.term, expected[k].term, `${step}: term of ${entry.index}`);
    assert.is(entry.data.length, expected[k].data.length, `${step}: size of ${entry.index}`);
    assert.ok(isIntact(entry, expected[k].data.length), `${step}: bytes of ${entry.index}`);
  });
}

async function runScenario(options: WalOptions, ops: Op[]): Promise<void> {
  const dir = await tempDir('tsraft-wal-model-');
  let wal = await Wal.open(dir, options);
  const model = new LogModel();
  let nextTerm = 1;
  const entriesFor = (count: number, term: number, size: number): Entry[] =>
    Array.from({ length: count }, (_, k) => makeEntry(model.last + 1 + k, term, (size + k * 13) % 121));
  try {
    for (let step = 0; step < ops.length; step++) {
      const op = ops[step];
      const label = `step ${step} ${JSON.stringify(op)}`;
      switch (op.kind) {
        case 'save': {
          nextTerm = Math.max(nextTerm, model.lastTerm()) + op.termBump;
          const entries = entriesFor(op.count, nextTerm, op.size);
          const hardState = op.hardState ? { term: nextTerm, vote: step % 4, commit: Math.max(0, model.last) } : undefined;
          await wal.save({ entries, hardState });
          model.append(entries);
          if (hardState) model.hardState = hardState;
          break;
        }
        case 'burst': {
          nextTerm = Math.max(nextTerm, model.lastTerm());
          const saves: Promise<void>[] = [];
          for (let s = 0; s < op.saves; s++) {
            const entries = entriesFor(op.count, nextTerm, op.size + s);
            model.append(entries);
            saves.push(wal.save({ entries }));
          }
          await Promise.all(saves);
          break;
        }
        case 'truncate': {
          const index = Math.max(model.first - 1, model.last - op.back);
          await wal.truncateAfter(index);
          model.truncateAfter(index);
          break;
        }
        case 'compact': {
          const target = model.first + op.ahead;
          const before = model.first;
          await wal.compactBefore(target);
          const after = wal.firstIndex;
          assert.ok(after >= before && after <= Math.max(before, target) && after <= model.last + 1, `${label}: firstIndex ${after}`);
          model.compactTo(after);
          break;
        }
        case 'reset': {
          const index = Math.max(0, model.last + op.ahead);
          const term = Math.max(nextTerm, model.lastTerm()) + op.termBump;
          nextTerm = term;
          await wal.reset(index, term);
          model.reset(index, term);
          break;
        }
        case 'reopen': {
          await wal.close();
          wal = await Wal.open(dir, options);
          assert.is(wal.recovery.tornTailBytes, 0, `${label}: a clean close leaves no torn tail`);
          assert.is(wal.recovery.deletedSegments, 0, `${label}: no dead segment left behind`);
          await assertEntries(wal, model, model.first, model.last + 1, undefined, label);
          break;
        }
        case 'read': {
          const lo = model.first + Math.min(op.from, model.entries.length);
          const hi = Math.min(model.last + 1, lo + op.length);
          await assertEntries(wal, model, lo, hi, op.maxBytes, label);
          break;
        }
      }
      assertAgree(wal, model, label);
    }
    await wal.close();
    wal = await Wal.open(dir, options);
    assertAgree(wal, model, 'final reopen');
    await assertEntries(wal, model, model.first, model.last + 1, undefined, 'final reopen');
  } finally {
    await wal.close();
    await removeDir(dir);
  }
}

test('random operation sequences agree with an in-memory model, across reopens', async () => {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        segmentBytes: fc.integer({ min: 256, max: 2048 }),
        cacheBytes: fc.constantFrom(0, 2048, 1 << 20),
      }),
      fc.array(opArbitrary, { minLength: 1, maxLength: 60 }),
      async ({ segmentBytes, cacheBytes }, ops) => runScenario({ segmentBytes, cacheBytes, sync: 'none' }, ops),
    ),
    { numRuns: 300 },
  );
  console.log(`  model test: 300 runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.run();
