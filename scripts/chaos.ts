/**
 * chaos: a Jepsen-style fault-injection run against real raft-node processes.
 *
 * Usage: npm run chaos -- [--time 60] [--nodes 3|5] [--faults kill,pause,partition,membership,snapshot]
 *                         [--seed N] [--clients 10] [--keys 5] [--check-budget 120] [--keep]
 *
 * Starts a cluster (each node in its own network namespace when running as root, so partitions
 * are real), runs concurrent clients recording a history while faults follow a schedule drawn
 * from the seed, then heals everything, waits for the cluster to settle and checks: the history is
 * linearizable, every acknowledged write is in the final state, every member holds the same
 * state, and the cluster served requests. See README.md, "Fault injection (chaos)".
 *
 * Exit status: 0 every check passed; 1 a check failed (the run directory with history.jsonl,
 * node logs and data is kept and printed, with the command that replays the schedule);
 * 2 bad usage; 3 the run could not be carried out (e.g. the cluster never elected a leader);
 * 4 the other checks passed but the linearizability checker ran out of its budget (unknown; the
 * directory is kept too); 130 interrupted.
 */
import { ChaosRun, replayCommand, type ChaosOptions } from '../test/chaos/run.js';
import { formatReport } from '../test/chaos/report.js';
import { FAULT_KINDS, type FaultKind } from '../test/chaos/schedule.js';

const USAGE = `usage: npm run chaos -- [--time SECONDS] [--nodes N] [--faults ${FAULT_KINDS.join(',')}]
                        [--seed N] [--clients N] [--keys N] [--check-budget SECONDS] [--keep]`;

function usage(problem: string): never {
  process.stderr.write(`chaos: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]): ChaosOptions {
  const o: ChaosOptions = { time: 60, nodes: 3, faults: [...FAULT_KINDS], seed: Math.floor(Math.random() * 2 ** 31), clients: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const int = (min: number, max: number): number => {
      const raw = value();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max) usage(`${a}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return n;
    };
    switch (a) {
      case '--time':
        o.time = int(5, 86_400);
        break;
      case '--nodes':
        o.nodes = int(3, 9);
        break;
      case '--faults': {
        const list = value()
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '' && s !== 'none');
        for (const f of list) if (!(FAULT_KINDS as readonly string[]).includes(f)) usage(`--faults: unknown fault ${JSON.stringify(f)} (known: ${FAULT_KINDS.join(', ')})`);
        o.faults = [...new Set(list)] as FaultKind[];
        break;
      }
      case '--seed':
        o.seed = int(0, 2 ** 32 - 1);
        break;
      case '--clients':
        o.clients = int(1, 200);
        break;
      case '--keys':
        o.keys = int(1, 100);
        break;
      case '--check-budget':
        o.checkBudgetMs = int(1, 86_400) * 1000;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      default:
        usage(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  return o;
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2));
  const run = new ChaosRun(options);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    run.dumpSync();
    process.stderr.write(`\nchaos: ${signal}: stopping; nodes are killed and network namespaces removed on exit.\n`);
    process.stderr.write(`chaos: history, logs and data kept in ${run.dir}\nreplay: ${replayCommand(options)}\n`);
    // Exit hooks (test/support/processes.ts, test/chaos/netns.ts) kill the nodes and remove the namespaces.
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const report = await run.run();
    process.stdout.write(`\n${formatReport(report)}\n`);
    process.stdout.write(`total ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (report.pass && !options.keep) run.removeDir();
    else if (report.pass) process.stdout.write(`kept in ${run.dir}\n`);
    if (report.pass) return 0;
    const c = report.checks;
    return c.linearizable.verdict === 'unknown' && c.acknowledged.pass && c.converged.pass && c.served.pass ? 4 : 1;
  } catch (err) {
    process.stderr.write(`chaos: the run failed: ${(err as Error).stack ?? err}\n`);
    process.stderr.write(`chaos: seed ${options.seed}; history, logs and data kept in ${run.dir}\nreplay: ${replayCommand(options)}\n`);
    return 3;
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`chaos: ${err.stack ?? err.message}\n`);
    process.exit(3);
  },
);
