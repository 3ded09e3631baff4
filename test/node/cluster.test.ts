// Multi-node tests of the Node over the in-memory transport: election, replication, apply order,
// restarts (one node, all nodes), term and vote surviving restarts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

for (const size of [3, 5]) {
  test(`${size} nodes elect a leader, replicate, and apply the same commands in the same order`, async () => {
    const c = new TestCluster(size);
    try {
      await c.startAll();
      const leader = await c.waitLeader();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => leader.do(new SetCommand(`k${i % 7}`, `v${i}`))));
      assert.is(results.length, 50);
      assert.is(results[7], 'v0', 'do() resolves with the command result (the previous value)');
      const log = await c.waitConverged();
      assert.is(log.length, 50);
      for (const n of c.nodes.values()) assert.is(n.context.data.get('k0'), 'v49');
    } finally {
      await c.close();
    }
  });
}

test('restart of one node and of all nodes at once recovers every applied command; term survives', async () => {
  const c = new TestCluster(3);
  try {
    await c.startAll();
    let leader = await c.waitLeader();
    for (let i = 0; i < 20; i++) await leader.do(new SetCommand(`a${i}`, `${i}`));
    await c.waitConverged();
    const follower = c.addresses.find((a) => a !== leader.address)!;
    await c.stop(follower);
    for (let i = 0; i < 10; i++) await leader.do(new SetCommand(`b${i}`, `${i}`));
    await c.start(follower);
    let log = await c.waitConverged();
    assert.is(log.length, 30);
    const termBefore = Math.max(...[...c.nodes.values()].map((n) => n.status().term));
    for (const a of c.addresses) await c.stop(a);
    await c.startAll();
    for (const n of c.nodes.values()) assert.ok(n.status().term >= termBefore, 'term survives a restart');
    leader = await c.waitLeader();
    await leader.do(new SetCommand('after', 'restart'));
    log = await c.waitConverged();
    assert.is(log.length, 31);
    assert.is(log[0], 'a0=0');
    assert.is(log[30], 'after=restart');
  } finally {
    await c.close();
  }
});

test.run();
