// From a mutation review of src/command-apply.ts (CommandApplier), on a real SessionTable and
// CommandRegistry: a copy of a proposal that applied reports itself a copy (the node counts it as
// skipped, not applied) and does not run; a copy its proposer had given up on (below its session's
// floor) answers with a ProposalDroppedError marked outcome unknown, so that no proposer proposes
// it again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Entry } from '../../src/core/index.js';
import { CommandRegistry } from '../../src/command.js';
import { CodecError, jsonCodec } from '../../src/codec.js';
import { CommandApplier } from '../../src/command-apply.js';
import { ProposalDroppedError } from '../../src/errors.js';
import { SessionTable } from '../../src/sessions.js';

class Counter {
  n = 0;
}

class Add {
  static readonly type = 7;
  constructor(readonly by: number) {}
  do(c: Counter): number {
    c.n += this.by;
    return c.n;
  }
}

const OWN = 41;

function setup() {
  const registry = new CommandRegistry<Counter>(jsonCodec);
  registry.register(Add);
  const context = new Counter();
  const warnings: string[] = [];
  const applier = new CommandApplier(registry, new SessionTable(), OWN, context, { warn: (l) => void warnings.push(l) });
  let index = 0;
  const entry = (by: number, session: number, seq: number, floor: number): Entry => ({
    index: ++index,
    term: 1,
    type: EntryType.Normal,
    data: registry.encode(new Add(by), { session, seq, floor }),
  });
  return { applier, context, entry, warnings };
}

test('a copy of a proposal that applied does not run, answers with the first outcome, and reports itself a copy', () => {
  const { applier, context, entry } = setup();
  const first = applier.apply(entry(5, OWN, 1, 1));
  assert.equal(first, { result: 5, error: undefined, copy: false });
  const again = applier.apply(entry(5, OWN, 1, 1));
  assert.is(again.copy, true, 'a copy that did not run must be reported as one (counted skipped, not applied)');
  assert.is(again.result, 5, 'answers with the first outcome');
  assert.is(context.n, 5, 'ran once');
});

test('a copy of a proposal its proposer gave up on answers with a ProposalDroppedError marked outcome unknown (never proposed again)', () => {
  const { applier, context, entry } = setup();
  applier.apply(entry(1, OWN, 3, 3)); // the proposer's floor is 3: seqs below it were given up
  const stale = applier.apply(entry(100, OWN, 2, 1));
  assert.is(stale.copy, true);
  assert.is(context.n, 1, 'the given-up copy did not run');
  assert.instance(stale.error, ProposalDroppedError);
  assert.is((stale.error as ProposalDroppedError).outcomeUnknown, true, 'outcome unknown: an earlier copy may have applied');
});

test('an entry this member\'s codec cannot decode stops it with a CodecError that says "cannot decode command" once, then the entry and the remedy', () => {
  const { applier, entry } = setup();
  const bad = entry(1, OWN, 1, 1);
  const data = bad.data!;
  // The JSON payload after the type id and session header, made unreadable.
  const garbled = Uint8Array.from(data);
  garbled[garbled.length - 1] = 0xff;
  let thrown: unknown;
  try {
    applier.apply({ ...bad, data: garbled });
  } catch (err) {
    thrown = err;
  }
  assert.instance(thrown, CodecError);
  const message = (thrown as Error).message;
  assert.match(message, /^cannot decode command \(json\): entry 1: /);
  assert.is(message.split('cannot decode command').length - 1, 1, `said twice: ${message}`);
  assert.match(message, /set the same codec on every member$/);
});

test.run();
