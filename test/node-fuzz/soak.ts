/**
 * The long run of the node fuzz test (not part of `npm test`): many seeds, each a history of the
 * given length, one after another. Prints one line per seed and the full report of a failing one;
 * exits 1 if any failed.
 *
 *   node --import tsx test/node-fuzz/soak.ts --seeds 1-200 --time 10
 *   node --import tsx test/node-fuzz/soak.ts --seeds 42-42 --time 8 --verbose   (a replay)
 *
 * --time is seconds of faults per history (default 8). Replays are best-effort: timing is real.
 * --record-local-reads records unconfirmed local reads as linearizable: a check that the checker
 * sees stale reads in these histories (some seeds should then fail).
 */
import { formatResult, runFuzz } from './fuzz.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const [from, to] = (arg('--seeds') ?? '1-20').split('-').map(Number) as [number, number];
const seconds = Number(arg('--time') ?? 8);
const verbose = process.argv.includes('--verbose');
// Sensitivity check: record local (unconfirmed) reads as linearizable; some seeds should fail.
const recordLocalReads = process.argv.includes('--record-local-reads');
if (!Number.isInteger(from) || !Number.isInteger(to) || to < from || !(seconds > 0)) {
  console.error('usage: soak.ts --seeds A-B [--time SECONDS] [--verbose]');
  process.exit(2);
}

let failed = 0;
let events = 0;
let faults = 0;
const failedSeeds: number[] = [];
for (let seed = from; seed <= (to ?? from); seed++) {
  const r = await runFuzz(seed, { durationMs: seconds * 1000, recordLocalReads });
  events += r.ops.checked;
  faults += r.faults.total;
  console.log(formatResult(r, verbose));
  for (const w of verbose ? [] : r.warnings) console.log(`  warning: ${w}`);
  if (r.failures.length) {
    failed++;
    failedSeeds.push(seed);
  }
}
console.log(`\n${to - from + 1} histories, ${events} events checked, ${faults} faults, ${failed} failed${failed ? `: seeds ${failedSeeds.join(' ')}` : ''}`);
process.exitCode = failed ? 1 : 0;
