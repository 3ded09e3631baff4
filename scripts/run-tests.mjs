#!/usr/bin/env node
// Runs every test file under test/ (name ending in .test.ts) with uvu through tsx, each file in
// its own child process so one file's timers or handles cannot leak into another, then prints a
// plain "N passed, N failed" closing line. Exit status is non-zero when anything failed.
//
// Files run two at a time (TEST_JOBS=N to change; most tests wait on timers, not the CPU), except
// those under ALONE, which load the machine themselves (process clusters under faults) and run
// one at a time after the others.
//
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const files = findTests(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

/**
 * A file still running after this long is killed with everything it started and counted as
 * failed (TEST_FILE_TIMEOUT_S; the slowest file takes about a minute and a half): a test that
 * hangs (a server left holding the process open after a failed check) held CI until its own limit.
 */
const FILE_TIMEOUT_MS = Math.max(1, Number(process.env.TEST_FILE_TIMEOUT_S ?? 420) || 420) * 1000;
/** Running children, each in its own process group, killed with it at a timeout or when we are interrupted. */
const running = new Set();
const killGroup = (child) => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) killGroup(child);
    process.exit(130);
  });
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
      detached: true, // its own process group: a timeout kills what it started too
    });
    running.add(child);
    let output = '';
    const timer = setTimeout(() => {
      output += `\n(still running after ${FILE_TIMEOUT_MS / 1000} s: killed with everything it started)\n`;
      killGroup(child);
    }, FILE_TIMEOUT_MS);
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      resolve({ file, code, output, total, passed, skipped, ms: Date.now() - started });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function report(r) {
  // A file that exits non-zero without uvu counting a failure (a crash at import time, an
  // unhandled rejection after the run) still counts as one failure.
  // uvu's Total leaves out skipped tests, so failures are Total - Passed (never negative).
  const fileFailed = Math.max(0, r.total - r.passed);
  const counted = r.code !== 0 && fileFailed === 0 ? 1 : fileFailed;
  passed += r.passed;
  failed += counted;
  skipped += r.skipped;
  const mark = counted > 0 ? 'FAIL' : 'ok  ';
  console.log(`${mark} ${r.file}  (${r.passed}/${r.total} passed, ${(r.ms / 1000).toFixed(1)} s)`);
  if (counted > 0) {
    failures.push(r.file);
    console.log(r.output.replace(/^/gm, '    '));
  }
}

/** Files that run alone: they start process clusters and inject faults on a timetable. */
const ALONE = ['test/chaos/'];
const JOBS = Math.max(1, Number(process.env.TEST_JOBS ?? 2) || 1);
const shared = files.filter((f) => !ALONE.some((a) => f.startsWith(a)));
const alone = files.filter((f) => ALONE.some((a) => f.startsWith(a)));

let next = 0;
async function worker() {
  while (next < shared.length) report(await runFile(shared[next++]));
}
await Promise.all(Array.from({ length: Math.min(JOBS, shared.length) }, worker));
for (const file of alone) report(await runFile(file));
if (files.length === 0) {
  console.log('no test files found');
  process.exit(1);
}
if (failures.length) console.log(`\nfailed files:\n  ${failures.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
