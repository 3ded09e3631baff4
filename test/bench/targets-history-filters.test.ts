// bench/targets-history.ts: which kept runs count against the targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS, evaluate } from '../../bench/targets-history.js';
import type { Workload } from '../../bench/http/load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const writes1 = TARGETS[0]!;

function point(system: string, workload: Workload, connections: number, qps: number, bad = { errors: 0, timeouts: 0, non2xx: 0 }) {
  return { system, workload, connections, qps, p99: 5, rounds: [{ qps, p99: 5 }, { qps, p99: 5 }, { qps, p99: 5 }], ...bad };
}

test('evaluate: a tsraft point with non-2xx answers (counted in autocannon\'s requests/s) does not meet a target', () => {
  const results = [point('tsraft', 'write', 1, 2000, { errors: 0, timeouts: 0, non2xx: 15000 }), point('etcd', 'write', 1, 600)];
  const o = evaluate(writes1, results);
  assert.ok(o === undefined || o.met === false, `a failing run counted as met (${o?.ratio.toFixed(2)}×)`);
});

function runScript(runs: Array<{ meta: Record<string, unknown>; results: unknown[] }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-targets-'));
  try {
    runs.forEach((r, i) => {
      mkdirSync(join(dir, `targets-3-rounds-${i + 1}`));
      writeFileSync(join(dir, `targets-3-rounds-${i + 1}`, 'results.json'), JSON.stringify({ date: `2026-12-0${i + 1}T00:00:00.000Z`, rounds: 3, durationSeconds: 10, pipelining: 1, sync: 'always', ...r.meta, results: r.results }));
    });
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/targets-history.ts'), '--dir', dir], { cwd: ROOT, encoding: 'utf8' });
    assert.is(out.status, 0, out.stderr);
    return out.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('history: a run with --sync none (no fdatasync) is not counted against the targets', () => {
  const out = runScript([{ meta: { sync: 'none' }, results: [point('tsraft', 'write', 1, 2000), point('etcd', 'write', 1, 600)] }]);
  assert.match(out, /writes@1 vs etcd \(1\.2×\): met in 0 of 0 runs/, out);
});

test('history: a run whose target point failed (timeouts) is not counted as met', () => {
  const out = runScript([{ meta: {}, results: [point('tsraft', 'write', 1, 2000, { errors: 40, timeouts: 40, non2xx: 0 }), point('etcd', 'write', 1, 600)] }]);
  assert.not.match(out, /writes@1 vs etcd \(1\.2×\): met in 1 of 1 runs/, out);
});

test('history: a run with pipelining (not the target workload) is not counted', () => {
  const out = runScript([{ meta: { pipelining: 16 }, results: [point('tsraft', 'write', 1, 9000), point('etcd', 'write', 1, 600)] }]);
  assert.match(out, /writes@1 vs etcd \(1\.2×\): met in 0 of 0 runs/, out);
});

test.run();
