// bench/targets-history.ts: a kept run counted against the targets from its JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TARGETS, evaluate } from '../../bench/targets-history.js';
import type { Workload } from '../../bench/http/load.js';

const [writes1, writes256, readIndex, lease] = TARGETS as [(typeof TARGETS)[0], (typeof TARGETS)[0], (typeof TARGETS)[0], (typeof TARGETS)[0]];

function point(system: string, workload: Workload, connections: number, rounds: Array<[number, number]>) {
  const sorted = [...rounds].sort((a, b) => a[0] - b[0]);
  const [qps, p99] = sorted[1]!;
  return { system, workload, connections, qps, p99, errors: 0, non2xx: 0, rounds: rounds.map(([q, p]) => ({ qps: q, p99: p })) };
}

test('the ratio of the medians decides, to the last digit: 1.199× misses 1.2× although it prints as 1.20×', () => {
  const results = [point('tsraft', 'write', 1, [[614.4, 6], [727.6, 5], [599.6, 5]]), point('etcd', 'write', 1, [[512.4, 7], [655, 6], [460, 7]])];
  const o = evaluate(writes1, results)!;
  assert.ok(Math.abs(o.ratio - 614.4 / 512.4) < 1e-9);
  assert.is(o.met, false);
  assert.equal(o.roundRatios.map((r) => r.toFixed(2)), ['1.20', '1.11', '1.30']);
});

test('writes at 256 connections also need a p99 no higher than etcd\'s', () => {
  const fast = [point('tsraft', 'write', 256, [[10000, 60], [11000, 61], [9000, 59]]), point('etcd', 'write', 256, [[5000, 100], [5000, 100], [5000, 100]])];
  assert.is(evaluate(writes256, fast)!.met, true);
  const slowTail = [point('tsraft', 'write', 256, [[10000, 160], [11000, 161], [9000, 159]]), point('etcd', 'write', 256, [[5000, 100], [5000, 100], [5000, 100]])];
  assert.is(evaluate(writes256, slowTail)!.met, false);
});

test('LeaseRead is measured against the limit server\'s local GET; a run without the baseline has no outcome', () => {
  const results = [point('tsraft', 'lease', 256, [[20000, 30], [21000, 30], [19000, 30]]), point('limit', 'local', 256, [[25000, 30], [25000, 30], [25000, 30]])];
  assert.ok(Math.abs(evaluate(lease, results)!.ratio - 0.8) < 1e-9);
  assert.is(evaluate(lease, results)!.met, true);
  assert.is(evaluate(readIndex, results), undefined);
});

test.run();
