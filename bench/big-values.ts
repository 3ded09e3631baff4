/**
 * What big values cost a cluster of separate processes: three `raft-node` processes from dist/
 * (`--sync always`, default timing unless overridden), `--writes` PUTs of a `--mib` MiB value to
 * the leader, one after another. For each write: the time until the leader answers and until
 * every member applied it; then each process's peak RSS and CPU, the largest event-loop delay each
 * member saw, and whether leadership moved (an election during the run means a member's loop was
 * held longer than an election timeout). Every member must end with the same digest.
 *
 *   npm run bench:big-values -- [--mib 59] [--writes 3] [--election-timeout 1s] [--heartbeat 100ms] [--profile DIR]
 *
 * `--profile DIR` writes a V8 CPU profile of every member to DIR (as `npm run bench -- --profile`).
 */
import { randomBytes } from 'node:crypto';
import { startTsraft, processUsage } from './http/systems.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const MIB = Number(flag('mib', '59'));
const WRITES = Number(flag('writes', '3'));
const ELECTION_TIMEOUT = flag('election-timeout', '1s');
const HEARTBEAT = flag('heartbeat', '100ms');
const PROFILE_DIR = flag('profile', '');
if (!(MIB > 0 && MIB <= 59) || !(WRITES >= 1)) throw new Error('--mib must be in (0, 59] and --writes at least 1');

interface Status {
  state: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  digest: string;
}

/** One member's scraped gauge or counter (no labels, or the labels given), from /metrics text. */
function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const system = await startTsraft({
  sync: 'always',
  ...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {}),
  extraArgs: ['--max-value-bytes', '59MiB', '--election-timeout', ELECTION_TIMEOUT, '--heartbeat', HEARTBEAT],
});
const members = system.pids();
const statusUrls = members.map((m) => m.metricsUrl!.replace(/\/metrics$/, '/status'));
const statusOf = async (url: string): Promise<Status> => (await (await fetch(url)).json()) as Status;

// Peak RSS and the largest event-loop delay, sampled beside the writes. A scrape resets the
// delay's window (see RaftMetrics), so the largest value over all scrapes is the run's maximum.
const peakRss = members.map(() => 0);
const maxLoopDelayMs = members.map(() => 0);
const cpuBefore = members.map((m) => processUsage(m.pid)?.cpuSeconds ?? 0);
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    await Promise.all(
      members.map(async (m, i) => {
        const usage = processUsage(m.pid);
        if (usage) peakRss[i] = Math.max(peakRss[i]!, usage.rss);
        const text = await (await fetch(m.metricsUrl!)).text().catch(() => '');
        const max = metric(text, 'tsraft_server_event_loop_delay_seconds', '{stat="max"}');
        if (max !== undefined) maxLoopDelayMs[i] = Math.max(maxLoopDelayMs[i]!, max * 1000);
      }),
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
  }
})();

const rows: string[] = [];
let failure: string | undefined;
try {
  const startTerm = (await statusOf(statusUrls[0]!)).term;
  for (let w = 1; w <= WRITES; w++) {
    // Letters only: the body is the value as sent, one byte per character.
    const value = randomBytes(MIB * 1024 * 1024).toString('base64url').slice(0, MIB * 1024 * 1024);
    const t0 = performance.now();
    const r = await fetch(`${system.endpoint.url}/kv/big${w}`, { method: 'PUT', body: value });
    const answeredMs = performance.now() - t0;
    if (r.status !== 200) {
      failure = `write ${w}: HTTP ${r.status} ${await r.text()}`;
      break;
    }
    const leader = await statusOf(`${system.endpoint.url}/status`);
    for (;;) {
      const all = await Promise.all(statusUrls.map(statusOf));
      if (all.every((s) => s.appliedIndex >= leader.commitIndex)) break;
      if (performance.now() - t0 > 300_000) throw new Error(`write ${w}: not applied everywhere after 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const everywhereMs = performance.now() - t0;
    rows.push(`| ${w} | ${MIB} MiB | ${answeredMs.toFixed(0)} ms | ${everywhereMs.toFixed(0)} ms |`);
  }
  const finals = await Promise.all(statusUrls.map(statusOf));
  const digests = new Set(finals.map((s) => s.digest));
  const terms = new Set(finals.map((s) => s.term));
  sampling = false;
  await sampler;
  console.log(`\n${WRITES} writes of ${MIB} MiB, 3 raft-node processes, --sync always, --election-timeout ${ELECTION_TIMEOUT}, --heartbeat ${HEARTBEAT}\n`);
  console.log('| write | size | leader answered | applied everywhere |\n| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  console.log('\n| member | peak RSS | CPU | largest event-loop delay |\n| --- | --- | --- | --- |');
  members.forEach((m, i) => {
    const cpu = (processUsage(m.pid)?.cpuSeconds ?? 0) - cpuBefore[i]!;
    console.log(`| ${m.label} | ${(peakRss[i]! / 2 ** 20).toFixed(0)} MiB | ${cpu.toFixed(1)} s | ${maxLoopDelayMs[i]!.toFixed(0)} ms |`);
  });
  const moved = [...terms].some((t) => t !== startTerm) || (await system.problem()) !== undefined;
  console.log(`\nleadership: ${moved ? `MOVED (terms now ${[...terms].join(', ')}, was ${startTerm})` : `kept (term ${startTerm})`}; digests: ${digests.size === 1 ? 'equal' : `DIFFER (${[...digests].join(', ')})`}`);
  if (failure) console.log(`FAILED: ${failure}`);
  if (digests.size !== 1 || failure) process.exitCode = 1;
} finally {
  sampling = false;
  await sampler;
  await system.stop();
}
