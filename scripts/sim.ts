/**
 * Runs the deterministic simulation over many seeds.
 *
 *   npm run sim -- --seeds 100000            # seeds 1..100000
 *   npm run sim -- --seed 42 --verbose       # replay one seed with a trace
 *   npm run sim -- --from 5000 --seeds 1000  # seeds 5000..5999
 *   npm run sim -- --seeds 1000 --profile lease  # every seed under one fault profile
 *
 * A failing seed prints the one-line command that reproduces it and writes its history to
 * sim-failures/seed-N.jsonl. Exit status 1 when any seed failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { SIM_PROFILES, runSimulation, type SimProfile } from '../test/sim/simulation.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const single = flag('seed');
const from = Number(flag('from') ?? (single ?? 1));
const count = single ? 1 : Number(flag('seeds') ?? 100);
const verbose = process.argv.includes('--verbose');
const faultMs = flag('fault-ms') ? Number(flag('fault-ms')) : undefined;
const profile = flag('profile') as SimProfile | undefined;
if (!Number.isSafeInteger(from) || !Number.isSafeInteger(count) || count < 1 || (profile !== undefined && !SIM_PROFILES.includes(profile))) {
  console.error(`usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--profile ${SIM_PROFILES.join('|')}] [--fault-ms MS] [--verbose]`);
  process.exit(2);
}

const started = Date.now();
let failed = 0;
const totals: Record<string, number> = {};
for (let seed = from; seed < from + count; seed++) {
  const r = runSimulation({ seed, verbose, ...(faultMs ? { faultMs } : {}), ...(profile ? { profile } : {}) });
  for (const [k, v] of Object.entries(r.stats)) totals[k] = (totals[k] ?? 0) + v;
  if (!r.ok) {
    failed++;
    console.log(`FAIL seed ${seed} (${r.nodes} nodes): ${r.error}`);
    console.log(`  reproduce: npm run sim -- --seed ${seed}${profile ? ` --profile ${profile}` : ''} --verbose`);
    if (r.historyJsonl) {
      mkdirSync('sim-failures', { recursive: true });
      writeFileSync(`sim-failures/seed-${seed}.jsonl`, r.historyJsonl);
    }
  } else if (verbose) {
    console.log(`ok seed ${seed}`, r.stats);
  }
  if ((seed - from + 1) % 1000 === 0) console.log(`${seed - from + 1} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`${count} seeds from ${from}: ${count - failed} passed, ${failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log('totals:', totals);
process.exit(failed ? 1 : 0);
