/**
 * The deterministic simulation as part of npm test: 500 seeds, each a different cluster size,
 * fault profile and workload. A failure prints the seed and the command that replays it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SIM_PROFILES, runSimulation } from './simulation.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 500);
const FROM = Number(process.env.SIM_FROM ?? 1);

test(`${SEEDS} seeded simulations keep every safety invariant, converge after healing, and stay linearizable`, () => {
  const failures: string[] = [];
  const totals: Record<string, number> = {};
  for (let seed = FROM; seed < FROM + SEEDS; seed++) {
    const r = runSimulation({ seed });
    for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
    if (!r.ok) failures.push(`seed ${seed} (${r.profile}): ${r.error}\n  reproduce: npm run sim -- --seed ${seed} --verbose`);
  }
  console.log(`simulation totals over ${SEEDS} seeds:`, JSON.stringify(totals));
  // The runs must exercise the faults they claim to.
  for (const k of [
    'crashes', 'restarts', 'partitions', 'snapshots', 'confChanges', 'transfers', 'writesOk', 'readsOk', 'leaseReads',
    'midWriteCrashes', 'newLeaderCrashes', 'crashesAfterAppend', 'pauses', 'leaderIsolations', 'degradedPhases',
    'lightReadys', 'appliedAheadOfWrite',
    ...SIM_PROFILES.map((p) => `profile:${p}`),
  ]) {
    assert.ok((totals[k] ?? 0) > 0, `no ${k} happened in ${SEEDS} seeds`);
  }
  assert.equal(failures, [], failures.join('\n'));
});

test.run();
