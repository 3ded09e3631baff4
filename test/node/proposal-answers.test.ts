// From a mutation review of src/node.ts: how a proposal is answered once its log position is known
// (awaitApply). A proposal learns its position (index, term) from the leader, sometimes after the
// entry at that index already applied here (a forwarded answer arriving late), sometimes before
// (the usual case), and a second request may wait at the same index (an overwritten attempt). Most
// of these are reached here by calling the private awaitApply directly with the positions a late or
// overwritten answer would carry: the races that produce them in a cluster are rare, and what the
// rules decide (which promise settles, with what) is the same. Last, a read waiting on entries a
// snapshot save held back is confirmed when they apply after it (applyDeferred serves reads).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProposalDroppedError, StoppedError, TimeoutError } from '../../src/errors.js';
import type { Node } from '../../src/node.js';
import { SetCommand, TestCluster, withOneMember, withSaveHeld, type Kv } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

type AwaitApply = (index: number, term: number, asLeader: boolean, timeoutMs: number) => Promise<unknown>;
const awaitApply = (node: Node<Kv>): AwaitApply => {
  const inner = node as unknown as { awaitApply: AwaitApply };
  return inner.awaitApply.bind(node);
};


test('an answer arriving after its entry applied resolves with the result the entry applied with (recent outcomes are remembered)', async () => {
  await withOneMember({ requestTimeoutMs: 3000 }, async (node) => {
    await node.do(new SetCommand('k', 'first'));
    const { index, term } = await node.propose(new SetCommand('k', 'second'));
    // As a forwarded answer that reaches the proposer after the entry applied there.
    const late = await outcomeWithin(awaitApply(node)(index, term, false, 1000), 2000);
    assert.equal(late, { value: 'first' }, 'the late answer must resolve with the result of the entry at its position');
  });
});

test('an answer whose position already applied with another term rejects at once with ProposalDroppedError (another entry took the index)', async () => {
  await withOneMember({ requestTimeoutMs: 3000 }, async (node) => {
    const { index, term } = await node.propose(new SetCommand('k', 'v'));
    // The answer of an attempt appended at `index` in an older term, overwritten since.
    const late = await outcomeWithin(awaitApply(node)(index, term - 1 || term + 1, false, 1000), 2000);
    assert.instance(late.error, ProposalDroppedError, `expected ProposalDroppedError, got ${JSON.stringify(late)}`);
  });
});

test('an answer for the very index a snapshot ended at (applied here unseen, after a restart) is "applied unseen" at once, not left to time out', async () => {
  const c = new TestCluster(1, { logLevel: 'silent', requestTimeoutMs: 3000 });
  try {
    await c.startAll();
    let node = await c.waitLeader();
    await node.do(new SetCommand('a', '1'));
    const { term } = await node.propose(new SetCommand('b', '2'));
    const at = await node.snapshot();
    await c.stop(node.address);
    node = await c.start(c.addresses[0]!);
    // Restarted from the snapshot, asked before its first election (at least an election timeout
    // away) appends an entry of the new term: nothing remembered, applied = the snapshot's index.
    assert.is(node.status().appliedIndex, at, 'the restart applied up to the snapshot, no further');
    const late = await outcomeWithin(awaitApply(node)(at, term, false, 2500), 1500);
    assert.ok(late.error instanceof TimeoutError, `expected the applied-unseen TimeoutError at once, got ${late.pending ? 'nothing within 1.5 s (waiting out its timeout)' : JSON.stringify(late)}`);
    assert.match((late.error as Error).message, /applied before its position was known/);
  } finally {
    await c.close();
  }
});

test('a second request waiting at the same index settles the first with ProposalDroppedError (none is left hanging)', async () => {
  await withOneMember({ requestTimeoutMs: 3000 }, async (node) => {
    const index = node.status().lastIndex + 1000; // far ahead: neither will apply in this test
    const first = awaitApply(node)(index, 1, false, 60_000);
    const second = awaitApply(node)(index, 2, false, 60_000);
    second.catch(() => undefined); // examined below; no unhandled rejection if an assertion fails first
    const early = await outcomeWithin(first, 1000);
    assert.instance(early.error, ProposalDroppedError, `the first waiter must be dropped when replaced, got ${JSON.stringify(early)}`);
    // The second settles at stop (in doubt), its timer cleared.
    const stopped = node.stop();
    const late = await outcomeWithin(second, 2000);
    await stopped;
    assert.instance(late.error, StoppedError);
  });
});

test('a proposal that commits but cannot apply within requestTimeoutMs rejects with TimeoutError (outcome unknown), it does not hang', async () => {
  await withSaveHeld({ requestTimeoutMs: 600 }, async (node, c, release) => {
    // A save holds applying: the next write commits and waits to apply.
    const snap = node.snapshot().catch(() => undefined);
    const held = await outcomeWithin(node.do(new SetCommand('k', 'v')), 3000);
    release();
    await snap;
    assert.instance(held.error, TimeoutError, `expected TimeoutError, got ${held.pending ? 'nothing within 3 s (hung)' : JSON.stringify(held)}`);
    assert.ok((held.error as TimeoutError).outcomeUnknown, 'a timed-out proposal may still apply: outcome unknown');
    // Once the save ends it applies all the same.
    await c.waitFor(() => node.context.data.get('k') === 'v', 3000, 'k=v after the save');
  });
});

test('asked after stop(), awaitApply rejects at once with StoppedError, outcome unknown (a forward answered as the node stops does not wait out its timeout)', async () => {
  await withOneMember({ requestTimeoutMs: 3000 }, async (node) => {
    const index = node.status().lastIndex + 1;
    await node.stop();
    const late = await outcomeWithin(awaitApply(node)(index, node.status().term, false, 60_000), 1000);
    assert.instance(late.error, StoppedError, `got ${late.pending ? 'nothing within 1 s' : JSON.stringify(late)}`);
    assert.ok((late.error as StoppedError).outcomeUnknown, 'handed to the leader: it may still commit');
  });
});

test('a read waiting for entries held behind a snapshot save is confirmed once they apply after the save (one member: no later Ready to serve it)', async () => {
  await withSaveHeld({ requestTimeoutMs: 5000 }, async (node, c, release) => {
    const snap = node.snapshot();
    const write = node.do(new SetCommand('k', 'v'));
    await c.waitFor(() => node.status().commitIndex > node.status().appliedIndex, 3000, 'the write to commit unapplied');
    const read = node.confirmRead('index');
    await new Promise((r) => setTimeout(r, 100));
    release();
    await snap;
    assert.is(await write, undefined);
    const outcome = await outcomeWithin(read, 2000);
    assert.equal(outcome, { value: 'confirmed' }, 'the read was not confirmed after the deferred entries applied');
  });
});

test.run();
