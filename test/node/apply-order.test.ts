// From a mutation review of src/node.ts (applyInOrder): the state machine takes every entry once, in
// order. An entry handed out to apply again (a repeat) or past a gap must throw — the run loop
// turns the throw into a fatal stop — rather than apply: a repeated command would leave this
// member's state different from the others' for good. The core never hands out such a list, so
// the guard is reached here by calling the private applyInOrder directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Entry } from '../../src/core/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

type ApplyInOrder = (entries: readonly Entry[]) => void;

test('an entry handed out to apply a second time (index = applied) throws instead of applying again; so does one past a gap', async () => {
  const c = new TestCluster(1, { logLevel: 'silent' });
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('k', 'v'));
    const { appliedIndex: applied, term } = node.status();
    const applyInOrder = (node as unknown as { applyInOrder: ApplyInOrder }).applyInOrder.bind(node);
    const noop = (index: number): Entry => ({ index, term, type: EntryType.Noop, data: new Uint8Array(0) });
    assert.throws(() => applyInOrder([noop(applied)]), /stopping rather than skip or repeat/, 'a repeat of the last applied entry');
    assert.throws(() => applyInOrder([noop(applied - 1)]), /stopping rather than skip or repeat/, 'a repeat of an older entry');
    assert.throws(() => applyInOrder([noop(applied + 2)]), /stopping rather than skip or repeat/, 'an entry past a gap');
    assert.is(node.status().appliedIndex, applied, 'nothing applied');
  } finally {
    await c.close();
  }
});

test.run();
