// The HTTP benchmark's report (bench/http/report.ts): the main table's ratios against etcd and the
// limit, and the per-round table of a `--rounds N` run pairing each tsraft round with the same
// round of its baseline (etcd for writes and ReadIndex, the limit's GET for LeaseRead).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { markdownTable, roundsTable } from '../../bench/http/report.js';
import type { PointResult, Workload } from '../../bench/http/load.js';

function point(system: string, workload: Workload, connections: number, rounds: number[]): PointResult {
  const sorted = [...rounds].sort((a, b) => a - b);
  const qps = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    system, workload, connections, pipelining: 1, durationSeconds: 10, qps, p50: 1, p99: qps / 1000, p999: 9,
    errors: 0, timeouts: 0, non2xx: 0, ok2xx: qps * 10, processes: [], stealPercent: 0, othersCpuPercent: 0,
    rounds: rounds.map((q) => ({ qps: q, p99: q / 1000 })),
  };
}

const results = [
  point('tsraft', 'write', 256, [20000, 21000, 18000]),
  point('tsraft', 'lease', 256, [45000, 44000, 46000]),
  point('limit', 'write', 256, [60000, 60000, 60000]),
  point('limit', 'local', 256, [50000, 55000, 60000]),
  point('etcd', 'write', 256, [10000, 10000, 9000]),
];

test('rounds table: each round of tsraft is divided by the same round of etcd, and the medians by each other', () => {
  const row = roundsTable(results).split('\n').find((l) => l.startsWith('| write (PUT) | 256 |'))!;
  assert.ok(row, 'a row for writes at 256 connections');
  const cells = row.split('|').map((c) => c.trim());
  assert.is(cells[3], 'etcd');
  assert.is(cells[4], '20,000 / 21,000 / 18,000');
  assert.is(cells[5], '10,000 / 10,000 / 9,000');
  assert.is(cells[6], '2.00 / 2.10 / 2.00');
  assert.is(cells[7], '2.00×'); // median 20,000 over median 10,000
  assert.is(cells[8], '20 / 21 / 18');
});

test('rounds table: LeaseRead, which etcd has no counterpart of, is paired with the limit\'s GET', () => {
  const row = roundsTable(results).split('\n').find((l) => l.startsWith('| LeaseRead | 256 |'))!;
  const cells = row.split('|').map((c) => c.trim());
  assert.is(cells[3], 'limit');
  assert.is(cells[6], '0.90 / 0.80 / 0.77');
  assert.is(cells[7], '0.82×'); // median 45,000 over median 55,000
});

test('rounds table: only tsraft points get rows; a one-round run has none', () => {
  const rows = roundsTable(results).split('\n').slice(2);
  assert.is(rows.length, 2);
  const single = results.map((r) => ({ ...r, rounds: undefined }));
  assert.is(roundsTable(single).split('\n').length, 2, 'only the header');
});

test('main table: ratios against etcd and the limit from the reported (median) QPS', () => {
  const row = markdownTable(results).split('\n').find((l) => l.startsWith('| write (PUT) | 256 | tsraft |'))!;
  const cells = row.split('|').map((c) => c.trim());
  assert.is(cells[10], '2.00×');
  assert.is(cells[11], '0.33×');
});

test('main table: every row has the header\'s columns; idle and load-generator CPU are shown when measured', () => {
  const measured = [{ ...results[0]!, stealPercent: 2, idlePercent: 31.4, generatorCpuPercent: 78.2, othersCpuPercent: 5 }, ...results.slice(1)];
  const lines = markdownTable(measured).split('\n');
  const columns = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim());
  const header = columns(lines[0]!);
  for (const l of lines.slice(1)) assert.is(columns(l).length, header.length, l);
  const row = columns(lines.find((l) => l.startsWith('| write (PUT) | 256 | tsraft |'))!);
  assert.is(row[header.indexOf('idle %')], '31');
  assert.is(row[header.indexOf('load generator CPU %')], '78');
  const unmeasured = columns(lines.find((l) => l.startsWith('| LeaseRead | 256 | tsraft |'))!);
  assert.is(unmeasured[header.indexOf('idle %')], '', 'a point from an older results.json leaves the cell empty');
});

test.run();
