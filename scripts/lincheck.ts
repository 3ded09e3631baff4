/**
 * lincheck: checks that a key-value register history (JSON lines, see
 * test/lincheck/vectors/README.md) is linearizable.
 *
 * Usage: npm run lincheck -- FILE [--timeout-ms N] [--max-states N] [--json]
 *        node --import tsx scripts/lincheck.ts FILE ...      (FILE "-" reads stdin)
 *
 * Exit status:
 *   0  linearizable
 *   1  not linearizable (the key and an explanation are printed)
 *   2  bad input or usage (unreadable file, bad JSON, unknown type/f, unmatched return, ...)
 *   3  unknown: the --timeout-ms / --max-states budget ran out before a verdict
 */
import { readFileSync } from 'node:fs';
import { checkHistory, LincheckInputError, parseHistory, type CheckOptions } from '../test/support/lincheck/index.js';

const USAGE = 'usage: lincheck FILE [--timeout-ms N] [--max-states N] [--json]   (FILE "-" = stdin)';

function usage(problem: string): never {
  process.stderr.write(`lincheck: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

function main(argv: string[]): number {
  let file: string | undefined;
  let json = false;
  const opts: CheckOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) usage(`${a} needs a positive number`);
      return v;
    };
    if (a === '--json') json = true;
    else if (a === '--timeout-ms') opts.timeoutMs = num();
    else if (a === '--max-states') opts.maxStates = num();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\nexit: 0 linearizable, 1 not, 2 bad input, 3 unknown (budget ran out)\n`);
      return 0;
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (file === undefined) file = a;
    else usage('more than one FILE');
  }
  if (file === undefined) usage('no FILE');

  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    process.stderr.write(`lincheck: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const events = parseHistory(text);
    const r = checkHistory(events, opts);
    if (json) {
      process.stdout.write(`${JSON.stringify(r)}\n`);
    } else {
      const keys = new Set(events.map((e) => e.key)).size;
      const stats = `${events.length} events, ${keys} key(s), ${r.states} states, ${r.ms} ms`;
      if (r.verdict === 'ok') process.stdout.write(`ok: linearizable (${stats})\n`);
      else if (r.verdict === 'bad') process.stdout.write(`bad: not linearizable (${stats})\n${r.explanation}\n`);
      else process.stdout.write(`unknown: ${r.explanation}\n`);
    }
    return r.verdict === 'ok' ? 0 : r.verdict === 'bad' ? 1 : 3;
  } catch (e) {
    if (e instanceof LincheckInputError) {
      process.stderr.write(`lincheck: ${file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
