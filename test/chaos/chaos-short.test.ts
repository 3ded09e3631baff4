// A short chaos run in the test suite: 3 raft-node processes, 10 clients, every fault kind for
// about a minute (partitions when network namespaces can be created, i.e. as root), then the four
// checks of `npm run chaos` must all pass, and nothing may be left behind: no process, no
// namespace or link, no run directory.
//
// The seed is random unless CHAOS_SEED is set; a failure prints it with the command that replays
// the schedule, and keeps the history, logs and data.
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { netnsAvailable } from './netns.js';
import { formatReport } from './report.js';
import { ChaosRun, replayCommand, type ChaosOptions } from './run.js';
import { FAULT_KINDS, makeSchedule } from './schedule.js';

const TIME_S = Number(process.env['CHAOS_TIME'] ?? 55);

test(`a ${TIME_S} s chaos run with every fault kind passes all four checks and cleans up`, async () => {
  const canPartition = netnsAvailable();
  const faults = canPartition.ok ? [...FAULT_KINDS] : FAULT_KINDS.filter((k) => k !== 'partition');
  if (!canPartition.ok) console.log(`    NOTICE: no partitions in this run (${canPartition.reason})`);
  // A seed whose schedule has room for every kind.
  let seed = process.env['CHAOS_SEED'] !== undefined ? Number(process.env['CHAOS_SEED']) : Math.floor(Math.random() * 1e9);
  if (process.env['CHAOS_SEED'] === undefined) {
    while (new Set(makeSchedule(seed, TIME_S * 1000, faults).map((f) => f.kind)).size < faults.length) seed++;
  }
  const options: ChaosOptions = { time: TIME_S, nodes: 3, faults, seed, clients: 10, checkBudgetMs: 30_000, settleTimeoutMs: 40_000, log: () => {} };
  const run = new ChaosRun(options);
  let report;
  try {
    report = await run.run();
  } catch (err) {
    console.error(`chaos run failed (seed ${seed}); kept in ${run.dir}\nreplay: ${replayCommand(options)}`);
    throw err;
  }
  const text = formatReport(report);
  if (!report.pass) console.error(text);
  else console.log(`    seed ${seed}: ${report.historyEvents} events, ${report.windows.map((w) => w.kind).join(',')}; ${report.checks.linearizable.summary}`);
  assert.is(run.liveProcesses(), 0, 'every raft-node process is gone');
  assert.is(run.leftovers().length, 0, `namespaces/links left behind: ${run.leftovers().join(', ')}`);
  if (canPartition.ok) assert.match(report.partitions, /^network namespaces/, 'partitions run in network namespaces');
  const kinds = new Set(report.windows.filter((w) => !w.skipped).map((w) => w.kind));
  for (const k of faults) assert.ok(kinds.has(k), `a ${k} fault ran (seed ${seed})`);
  assert.ok(report.checks.linearizable.verdict === 'ok', `1. linearizable: ${report.checks.linearizable.summary} (seed ${seed}, kept in ${run.dir})`);
  assert.ok(report.checks.acknowledged.pass, `2. acknowledged writes: ${report.checks.acknowledged.summary} (seed ${seed}, kept in ${run.dir})`);
  assert.ok(report.checks.converged.pass, `3. same state: ${report.checks.converged.summary} (seed ${seed}, kept in ${run.dir})`);
  assert.ok(report.checks.served.pass, `4. served: ${report.checks.served.summary} (seed ${seed}, kept in ${run.dir})`);
  assert.ok(report.pass);
  run.removeDir();
  assert.not.ok(existsSync(run.dir), 'the run directory is removed after a passing run');
});

test.run();
