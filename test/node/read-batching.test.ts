// Read batching in the Node (src/node.ts, read/submitReads): every readIndex()/leaseRead() call of
// one kind made in one turn of the event loop is handed to the core as one request at the next
// pump, so one heartbeat round confirms them all; the commit index that request takes is read
// after all of them arrived, so each stays linearizable. Checked over the in-memory transport.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

/** Records the read rounds of the heartbeats `from` sends, and lets a test wait for the next one. */
function watchHeartbeats(c: TestCluster, from: () => string): { rounds: Set<number>; next(): Promise<void> } {
  const rounds = new Set<number>();
  let waiters: Array<() => void> = [];
  const transmit = c.network.transmit.bind(c.network);
  c.network.transmit = (sender: string, to: string, messages: readonly Message[]): number => {
    if (sender === from()) {
      for (const m of messages) {
        if (m.type !== 'heartbeat') continue;
        rounds.add(m.round);
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      }
    }
    return transmit(sender, to, messages);
  };
  return { rounds, next: () => new Promise<void>((resolve) => waiters.push(resolve)) };
}

test('ReadIndex batching: reads issued in one turn of the event loop are confirmed by one heartbeat round', async () => {
  const c = new TestCluster(3, { heartbeatMs: 100, electionTimeoutMs: 1000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'v'));
    const hb = watchHeartbeats(c, () => leader.address);
    // Start right after a tick's heartbeat round, so no tick falls inside the window (100 ms apart).
    await hb.next();
    await new Promise((resolve) => setTimeout(resolve, 5));
    hb.rounds.clear();
    const reads = await Promise.all(Array.from({ length: 50 }, () => leader.readIndex()));
    assert.equal(reads, Array(50).fill(true), 'every read confirmed');
    assert.is(hb.rounds.size, 1, `one heartbeat round for the 50 reads (rounds: ${[...hb.rounds].join(', ')})`);
  } finally {
    await c.close();
  }
});

test('ReadIndex/LeaseRead batching: a read issued after a write was acknowledged sees it, with writes and batched reads in flight together', async () => {
  const c = new TestCluster(3);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    let acked = 0; // the highest value whose write was acknowledged
    let stale = 0;
    let confirmed = 0;
    const writer = (async () => {
      for (let i = 1; i <= 80; i++) {
        await leader.do(new SetCommand('x', String(i)));
        acked = i;
      }
    })();
    const reader = async (node: typeof leader, lease: boolean): Promise<void> => {
      while (acked < 80) {
        // Several reads per turn, so they are gathered into one request.
        const batch = Array.from({ length: 4 }, async () => {
          const mustSee = acked;
          const ok = lease ? await node.leaseRead() : await node.readIndex();
          if (!ok) return;
          confirmed++;
          if (Number(node.context.data.get('x') ?? 0) < mustSee) stale++;
        });
        await Promise.all(batch);
      }
    };
    await Promise.all([writer, reader(leader, false), reader(leader, true), reader(follower, false), reader(follower, true)]);
    assert.ok(confirmed > 50, `reads were confirmed (${confirmed})`);
    assert.is(stale, 0, 'no confirmed read missed a write acknowledged before it was issued');
  } finally {
    await c.close();
  }
});

test('ReadIndex batching: reads gathered but not yet handed to the core resolve false when the node stops', async () => {
  const c = new TestCluster(3);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const reads = Array.from({ length: 10 }, () => leader.readIndex());
    const stopped = leader.stop(); // same turn: the gathered reads never reached the core
    assert.equal(await Promise.all(reads), Array(10).fill(false));
    await stopped;
  } finally {
    await c.close();
  }
});

test('ReadIndex batching: a read called while the run loop is held does not time out on the timer of a read called long before it', async () => {
  // Reads gathered for one core request share its timer. While the run loop is held (here a
  // snapshot step made slow; a follower writing a received snapshot to a slow disk holds it
  // too), the first read rightly times out, but one called 700 ms later used to time out with
  // it, 300 ms into its 1 s timeout; it now starts a request (and a timer) of its own.
  const c = new TestCluster(3, { heartbeatMs: 50, electionTimeoutMs: 500, requestTimeoutMs: 1000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'v'));
    const snapshots = (leader as unknown as { snapshots: { maybeTake(): Promise<void> } }).snapshots;
    const maybeTake = snapshots.maybeTake.bind(snapshots);
    let held = false;
    snapshots.maybeTake = async (): Promise<void> => {
      if (!held) {
        held = true;
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      return maybeTake();
    };
    // A write kicks the run loop, which enters the held step before it hands the next reads over.
    const write = leader.do(new SetCommand('k', 'w')).then(
      () => 'applied',
      (e: Error) => e.name,
    );
    await c.waitFor(() => held, 2000, 'the run loop to be held');
    const first = leader.readIndex();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const calledAt = performance.now();
    const late = leader.readIndex().then((ok) => ({ ok, after: performance.now() - calledAt }));
    assert.is(await first, false, 'the read called as the hold began times out (1 s, the hold is 1.5 s)');
    const lateRead = await late;
    assert.ok(lateRead.ok, `the read called 700 ms later is confirmed once the hold ends, not timed out with the first (answered after ${Math.round(lateRead.after)} ms)`);
    assert.ok(lateRead.after >= 700, `it waited for the hold to end (${Math.round(lateRead.after)} ms)`);
    await write; // called before the hold, it times out too (TimeoutError, outcome unknown)
  } finally {
    await c.close();
  }
});

test.run();
