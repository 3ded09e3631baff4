// A LeaseRead answered in the caller's turn (src/node.ts read()) re-checks the core's
// leaseValid() and applied >= committed at the moment of the read: a clock past the lease, a
// leadership transfer under way or entries not yet applied send it the slow way. "Answered in
// the caller's turn" is observed as the promise settling within a few microtasks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, slowSave, type Kv } from '../support/node-cluster.js';
import type { Node } from '../../src/node.js';
import { LeadershipTransferError } from '../../src/errors.js';

/** Starts a lease read; reports whether it settled before the event loop could turn. */
async function settlesAtOnce(node: Node<Kv>): Promise<{ atOnce: boolean; outcome: Promise<string> }> {
  let settled = false;
  const outcome = node.confirmRead('lease').then((o) => { settled = true; return o; });
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return { atOnce: settled, outcome };
}

async function leaseHeld(leader: Node<Kv>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await settlesAtOnce(leader);
    await r.outcome;
    if (r.atOnce) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('the leader never answered a lease read at once');
}

/** Starts `c`, writes k=v1 through its leader and waits until the leader answers a lease read at once. */
async function leaderHoldingLease(c: TestCluster): Promise<Node<Kv>> {
  await c.startAll();
  const leader = await c.waitLeader();
  await leader.do(new SetCommand('k', 'v1'));
  await leaseHeld(leader);
  return leader;
}

test('fast path: reads the clock at the moment of the read (a clock jump past the lease forces the slow path)', async () => {
  const c = new TestCluster(3); // heartbeatMs 20, electionTimeoutMs 200: lease 9 × 20 × 0.9 = 162 ms
  const realNow = performance.now.bind(performance);
  try {
    const leader = await leaderHoldingLease(c);
    // Time moves 10 s at once (as after the process was stopped): the very next read must not use the lease.
    const offset = 10_000;
    performance.now = () => realNow() + offset;
    const r = await settlesAtOnce(leader);
    performance.now = realNow;
    assert.not.ok(r.atOnce, 'no fast-path answer once the lease ran out by the clock');
    assert.is(await r.outcome, 'confirmed', 'confirmed by a heartbeat round instead');
  } finally {
    performance.now = realNow;
    await c.close();
  }
});

test('fast path: stops the moment a leadership transfer starts', async () => {
  // A transfer is abandoned after one election timeout; at 200 ms one was, under CI load, and its
  // rejection (then unhandled while the test awaited the read) ended the whole file.
  const c = new TestCluster(3, { electionTimeoutMs: 1000 });
  try {
    const leader = await leaderHoldingLease(c);
    const target = c.addresses.find((a) => a !== leader.address)!;
    const transfer = leader.transferLeadership(target).then(
      () => undefined,
      (err: unknown) => err,
    );
    // No lease answer from the moment the core knows the target.
    const raft = (leader as unknown as { raft: { transferTarget(): number; leaseValid(): boolean } }).raft;
    await c.waitFor(() => raft.transferTarget() !== 0 || !leader.isLeader(), 2000, 'the transfer to start');
    if (leader.isLeader()) {
      assert.not.ok(raft.leaseValid(), 'the core refuses the lease');
      const r = await settlesAtOnce(leader);
      assert.not.ok(r.atOnce, 'no fast-path answer during the transfer');
      await r.outcome;
    }
    // The rule is about the read during the transfer. Under heavy load the target may not take over
    // within the election timeout and the leader gives the transfer up (seen running three copies
    // of this file beside other tests): that ends the transfer too, and is no failure here.
    const ended = await transfer;
    if (ended === undefined) assert.not.ok(leader.isLeader(), 'the transfer completed');
    else assert.instance(ended, LeadershipTransferError, `the transfer ended with ${String(ended)}`);
  } finally {
    await c.close();
  }
});

test('fast path: a lease read waits until applied >= commit (applying held by a save)', async () => {
  const c = new TestCluster(3);
  try {
    const leader = await leaderHoldingLease(c);
    let release!: () => void;
    const hold = new Promise<void>((res) => (release = res));
    const s = slowSave(leader, hold);
    const snap = leader.snapshot();
    await c.waitFor(() => s.saving(), 2000, 'the save to start');
    const write = leader.do(new SetCommand('k', 'v2'));
    await c.waitFor(() => { const st = leader.status(); return st.commitIndex > st.appliedIndex; }, 2000, 'v2 committed but not applied');
    const r = await settlesAtOnce(leader);
    assert.not.ok(r.atOnce, 'not answered at once: the commit index is not applied');
    await new Promise((res) => setTimeout(res, 100));
    let done = false;
    void r.outcome.then(() => (done = true));
    await Promise.resolve();
    assert.not.ok(done, 'still waiting while applying is held');
    release();
    assert.is(await r.outcome, 'confirmed');
    assert.is(leader.context.data.get('k'), 'v2', 'the read sees the write committed before it');
    await write;
    await snap;
  } finally {
    await c.close();
  }
});

test.run();
