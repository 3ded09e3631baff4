/**
 * The node fuzz test as part of npm test: a few seeds, each a short randomized history of 3 or 5
 * real Nodes in this process under partitions, loss, restarts, transfers and membership changes,
 * then healed and checked (linearizable history, identical logs, no acknowledged write lost, no
 * "not applied" that applied, nothing left running). About 25-30 s on two cores. The long run is
 * soak.ts (`npm run test:node-fuzz -- --seeds 1-200 --time 8`); a failing seed prints its report
 * and the (best-effort: timing is real) replay command.
 *
 * NODE_FUZZ_SEEDS="1 2 3" and NODE_FUZZ_MS=5000 change the seeds and the length of each history.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkMutations, compareData, compareLogs, leftoverResources, tally } from './checks.js';
import { formatResult, runFuzz } from './fuzz.js';

const SEEDS = (process.env.NODE_FUZZ_SEEDS ?? '101 202 303').split(/\s+/).filter(Boolean).map(Number);
const MS = Number(process.env.NODE_FUZZ_MS ?? 5000);

// The checks first, on planted faults: a check that cannot fail would make the runs below prove nothing.
test('the end checks see a lost, a doubled and a phantom mutation', () => {
  const log = ['k0=w1', 'k0+=|a2', 'k0+=|a2', 'k1=w9'];
  const problems = checkMutations(
    [
      { line: 'k0=w1', told: 'acked', detail: 'kept' },
      { line: 'k0=w3', told: 'acked', detail: 'lost one' },
      { line: 'k1=w9', told: 'notApplied', detail: 'phantom one' },
      { line: 'k1=w4', told: 'notApplied', detail: 'truly refused' },
      { line: 'k1=w5', told: 'unknown', detail: 'unknown, absent' },
    ],
    log,
  );
  assert.equal(problems, ['applied 2 times (sessions promise once): k0+=|a2', 'LOST: acknowledged but not in the log: lost one', 'PHANTOM: told "certainly not applied" but applied: phantom one']);
});

test('the end checks see logs and data that differ, and a timer left behind', () => {
  assert.is(compareLogs([['a', ['x', 'y']], ['b', ['x', 'y']]]), undefined);
  assert.match(compareLogs([['a', ['x', 'y']], ['b', ['x', 'z']]]) ?? '', 'first difference at log position 1');
  assert.match(compareLogs([['a', ['x', 'y']], ['b', ['x']]]) ?? '', 'lengths 2 / 1');
  assert.is(compareData([['a', new Map([['k', '1']])], ['b', new Map([['k', '1']])]]), undefined);
  assert.ok(compareData([['a', new Map([['k', '1']])], ['b', new Map([['k', '2']])]]));
  const baseline = tally(process.getActiveResourcesInfo());
  const timer = setTimeout(() => {}, 10_000);
  assert.match(leftoverResources(baseline) ?? '', '1 Timeout');
  clearTimeout(timer);
  assert.is(leftoverResources(baseline), undefined);
});

for (const seed of SEEDS) {
  test(`node fuzz seed ${seed}: ${MS} ms of faults, then healed, converged, linearizable, nothing lost, nothing left`, async () => {
    const r = await runFuzz(seed, { durationMs: MS });
    console.log(formatResult(r));
    assert.equal(r.failures, [], formatResult(r));
    // A history that checked nothing, or that no write got through, would pass for nothing.
    assert.ok(r.ops.checked > 0, `seed ${seed}: the history was not checked (${r.warnings.join('; ')})`);
    assert.ok(r.ops.acked > 0, `seed ${seed}: no write was acknowledged`);
    assert.ok(r.faults.total > 0, `seed ${seed}: no fault was applied`);
  });
}

test.run();
