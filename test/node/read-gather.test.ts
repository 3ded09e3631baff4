// Mutation review of the Node's read batching (src/node.ts, read/submitReads): a read call may
// only join a read request that has not yet been handed to the core. A request already submitted
// had its read index fixed before the call arrived; a call joining it after a write was
// acknowledged could be confirmed at an index before that write: a stale read.
//
// The scenario, on a follower F1 of a three-node cluster over the memory transport: F1 asks a
// read r1 of the leader; the leader's answer (index C0) is held on the wire. A write is then
// acknowledged (leader and F2 commit it; the appends to F1 are held too, so F1 lacks it). F1 is
// asked a second read r2. The held read answers are released first, the appends only later: r2
// must not be confirmed before F1 has applied the write, and must see it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a read asked after a write was acknowledged does not join a read request already submitted (no stale read on a follower)', async () => {
  const c = new TestCluster(3, { heartbeatMs: 20, electionTimeoutMs: 1500, requestTimeoutMs: 4000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const f1 = c.node(c.addresses.find((a) => a !== leader.address)!);
    await leader.do(new SetCommand('x', '0'));
    await c.waitConverged();

    // Hold the leader's appends and read answers to F1 (heartbeats still flow: F1 keeps following).
    const held: Array<{ to: string; batch: Message[] }> = [];
    let holding = true;
    let resps = 0;
    const transmit = c.network.transmit.bind(c.network);
    c.network.transmit = (from: string, to: string, messages: readonly Message[]): number => {
      if (!holding || from !== leader.address || to !== f1.address) return transmit(from, to, messages);
      const pass: Message[] = [];
      const hold: Message[] = [];
      for (const m of messages) {
        if (m.type === 'append' || m.type === 'readIndexResp') hold.push(m);
        else pass.push(m);
        if (m.type === 'readIndexResp') resps++;
      }
      if (hold.length > 0) held.push({ to, batch: hold });
      return pass.length > 0 ? transmit(from, to, pass) : 0;
    };

    const r1 = f1.readIndex();
    await waitUntil('the leader to answer F1 read r1', () => resps >= 1, 3000);

    await leader.do(new SetCommand('x', '1')); // acknowledged: the linearizable value is now '1'
    let r2Value: string | undefined;
    let r2Done = false;
    const r2 = f1.readIndex().then((ok) => {
      r2Done = true;
      r2Value = ok ? f1.context.data.get('x') : 'unconfirmed';
    });
    await delay(80); // r2 reaches the core (or, wrongly, joins r1's request)

    // Release the read answers only: F1 still lacks the write.
    const release = (types: string[]): void => {
      for (const h of held.splice(0)) {
        const now = h.batch.filter((m) => types.includes(m.type));
        const later = h.batch.filter((m) => !types.includes(m.type));
        if (now.length > 0) transmit(leader.address, h.to, now);
        if (later.length > 0) held.push({ to: h.to, batch: later });
      }
    };
    release(['readIndexResp']);
    await delay(150);
    release(['readIndexResp']); // r2's own answer, if it came meanwhile
    await delay(150);
    assert.ok(await r1, 'r1 confirmed');
    assert.ok(!r2Done || r2Value === '1', `r2, asked after x=1 was acknowledged, was confirmed on F1 before F1 applied it: it read x=${r2Value}`);

    holding = false;
    release(['append', 'readIndexResp']);
    await r2;
    assert.is(r2Value, '1', 'r2 sees the acknowledged write');
  } finally {
    await c.close();
  }
});

test.run();
