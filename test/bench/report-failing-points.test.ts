// bench/http/report.ts: failing points and autocannon's error counts in the report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { markdownTable, roundsTable } from '../../bench/http/report.js';
import type { PointResult, Workload } from '../../bench/http/load.js';

function point(system: string, workload: Workload, connections: number, rounds: number[], bad: Partial<Pick<PointResult, 'errors' | 'timeouts' | 'non2xx'>> = {}): PointResult {
  const sorted = [...rounds].sort((a, b) => a - b);
  const qps = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    system, workload, connections, pipelining: 1, durationSeconds: 10, qps, p50: 1, p99: 10, p999: 20,
    errors: 0, timeouts: 0, non2xx: 0, ok2xx: qps * 10, processes: [], stealPercent: 0, othersCpuPercent: 0,
    rounds: rounds.map((q) => ({ qps: q, p99: 10 })),
    ...bad,
  };
}

const cellsOf = (table: string, prefix: string): string[] => {
  const row = table.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(row, `a row starting ${prefix}`);
  return row!.split('|').map((c) => c.trim());
};
const plainRatio = /^\d[\d,]*\.\d+×$/;

test('main table: a tsraft point that answered non-2xx (autocannon counts those in requests/s) gets no plain ratio', () => {
  // autocannon 9 counts every response, 2xx or not, in requests.average (lib/run.js onResponse: counter++).
  const results = [
    point('tsraft', 'write', 256, [20000], { non2xx: 150000 }),
    point('etcd', 'write', 256, [5000]),
    point('limit', 'write', 256, [30000]),
  ];
  const cells = cellsOf(markdownTable(results), '| write (PUT) | 256 | tsraft |');
  assert.not.match(cells[10]!, plainRatio, `vs etcd printed as a valid ratio: ${cells[10]}`);
  assert.not.match(cells[11]!, plainRatio, `vs limit printed as a valid ratio: ${cells[11]}`);
});

test('main table: a ratio against a failing baseline (etcd timing out) is not printed as valid', () => {
  const results = [point('tsraft', 'index', 256, [20000]), point('etcd', 'index', 256, [2000], { errors: 900, timeouts: 900 })];
  const cells = cellsOf(markdownTable(results), '| ReadIndex read | 256 | tsraft |');
  assert.not.match(cells[10]!, plainRatio, `tsraft / failing etcd printed as a valid ratio: ${cells[10]}`);
});

test('main table: autocannon already counts a timeout in `errors`; 5 timeouts are 5 failed requests, not 10', () => {
  // autocannon lib/run.js onTimeout(): errors++ and timeouts++.
  const results = [point('tsraft', 'write', 1, [700], { errors: 5, timeouts: 5 })];
  const cells = cellsOf(markdownTable(results), '| write (PUT) | 1 | tsraft |');
  assert.is(cells[8], '**5**');
});

test('rounds table: a point whose rounds had errors or non-2xx gets no ratio of the medians', () => {
  const results = [point('tsraft', 'write', 256, [20000, 21000, 18000], { non2xx: 50000 }), point('etcd', 'write', 256, [10000, 10000, 9000])];
  const cells = cellsOf(roundsTable(results), '| write (PUT) | 256 |');
  assert.not.match(cells[7]!, plainRatio, `ratio of the medians printed for a failing point: ${cells[7]}`);
});

test.run();
