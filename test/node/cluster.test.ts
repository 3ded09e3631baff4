// Multi-node tests of the Node, over the in-memory transport and over gRPC on loopback: election,
// replication, apply order, restarts (one node, all nodes at once), term and vote surviving them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, type TransportKind } from '../support/node-cluster.js';

for (const kind of ['memory', 'grpc'] as TransportKind[]) {
  for (const size of [3, 5]) {
    test(`[${kind}] ${size} nodes elect a leader, replicate, and apply the same commands in the same order`, async () => {
      const c = await TestCluster.of(kind, size);
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

  test(`[${kind}] restart of one node and of all nodes at once recovers every applied command; term and vote survive`, async () => {
    const c = await TestCluster.of(kind, 3);
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
      const before = new Map([...c.nodes].map(([a, n]) => [a, n.status()]));
      await c.stopAll();
      await c.startAll();
      for (const [a, n] of c.nodes) {
        const was = before.get(a)!;
        const now = n.status();
        assert.is(now.term >= was.term, true, `${a}: term survives a restart (${was.term} -> ${now.term})`);
        if (now.term === was.term) assert.is(now.vote, was.vote, `${a}: the vote of term ${was.term} survives a restart`);
      }
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
}

test.run();
