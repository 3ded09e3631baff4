// A forwarded proposal whose answer (its log position) reaches the asker only after more than RECENT_APPLIED (4096) entries applied there is
// no longer answered from RecentApplied: it is proposed again, the copy is skipped by the session
// table, and the request answers with the first application's result. Applied once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeOptions } from '../../src/node.js';
import { SetCommand, TestCluster, interceptReceive, type Kv, type SeenMessage } from '../support/node-cluster.js';

const OPTIONS: Partial<NodeOptions<Kv>> = { logLevel: 'silent', heartbeatMs: 20, electionTimeoutMs: 400, requestTimeoutMs: 20000, leaderWaitMs: 3000 };

test('a forwarded answer that arrives after 4096+ applies: proposed again, applied once, first result', async () => {
  const c = new TestCluster(3, OPTIONS);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const f = c.node(c.addresses.find((a) => a !== leader.address)!);
    await leader.do(new SetCommand('k', 'old'));
    await c.waitFor(() => f.context.data.get('k') === 'old', 5000, 'k=old on the follower');
    const held: SeenMessage[] = [];
    let holding = true;
    const deliver = interceptReceive(f, (from, messages, pass) => {
      pass(from, messages.filter((m) => (holding && m.type === 'forwardResp' ? (held.push(m), false) : true)));
    });
    const write = f.propose(new SetCommand('k', 'new'));
    await c.waitFor(() => held.length > 0 && f.context.data.get('k') === 'new', 5000, 'k=new to apply on the asker, its answer held');
    const firstIndex = (held[0] as unknown as { index: number }).index;
    for (let i = 0; i < 4200; i += 300) await Promise.all(Array.from({ length: 300 }, (_, j) => leader.do(new SetCommand(`f${i + j}`, 'x'))));
    await c.waitFor(() => f.status().appliedIndex >= firstIndex + 4200, 10000, 'the asker to apply 4200 more');
    holding = false;
    deliver(leader.address, held);
    const r = await write;
    assert.is(r.result, 'old', 'the first application\'s result');
    await c.waitFor(() => f.status().appliedIndex >= r.index, 5000, 'the copy to apply');
    assert.is(f.context.log.filter((l) => l === 'k=new').length, 1, 'applied once on the asker');
    assert.is(leader.context.log.filter((l) => l === 'k=new').length, 1, 'applied once on the leader');
    assert.ok(r.index > firstIndex, `answered from a second copy (index ${r.index} > ${firstIndex})`);
  } finally {
    await c.close();
  }
});

test.run();
