// Found in a user trial: a node removed early in its catch-up knows an old configuration, without
// members added since. Left running, it answered their announcements with "you are not a member"
// notices, which they took for signs of life: they kept it a connected peer for good (the
// founders, which it knew, forgot it). A removed node tells no one that now. Mutant: the
// isRemoved() guard dropped from the nodeMeta case of Node.receive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryTransport } from '../../src/transport/index.js';
import { SetCommand, TestCluster, holdEntriesFrom, retryInFlight } from '../support/node-cluster.js';

test('a removed node whose configuration is older than a member is forgotten by that member too', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  const transports = new Map<string, MemoryTransport>();
  const transportOf = (a: string): MemoryTransport => {
    if (!transports.has(a)) transports.set(a, new MemoryTransport(c.network, { address: a, logger: { info() {}, warn() {} } }));
    return transports.get(a)!;
  };
  const peersOf = (a: string): string[] => Object.keys(transportOf(a).stats().peers);
  try {
    await Promise.all(c.addresses.map((a) => c.start(a, { transport: transportOf(a) })));
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const founders = c.addresses.slice(0, 3).join(';');
    // The stale one: a joiner that never gets past the log before its own addition.
    const stale = await c.newAddress();
    c.addresses.push(stale);
    const staleFrom = leader.status().lastIndex + 1;
    c.configure = (node, a) => {
      if (a === stale) holdEntriesFrom(node, staleFrom);
    };
    await c.start(stale, { join: true, nonVoting: true, members: founders, transport: transportOf(stale) });
    await c.waitFor(() => leader.members().some((m) => m.address === stale), 3000, 'the stale joiner added');
    c.configure = undefined;
    // A member added after it: not in the stale node's configuration.
    const later = await c.newAddress();
    c.addresses.push(later);
    const member = await c.start(later, { join: true, nonVoting: true, members: founders, transport: transportOf(later) });
    await member.admitted();
    await c.waitFor(() => peersOf(later).includes(stale), 3000, 'the later member to know the stale node');
    await retryInFlight(() => leader.leave(stale));
    await c.waitFor(() => c.node(stale).isRemoved(), 3000, 'the stale node to know it was removed');
    // Ten election timeouts of 200 ms of silence, and every member forgets it.
    await c.waitFor(() => c.addresses.filter((a) => a !== stale).every((a) => !peersOf(a).includes(stale)), 8000, `every member to forget it (the later one: ${peersOf(later).join(', ')})`);
    assert.ok(c.node(stale).isRemoved());
  } finally {
    await c.close();
  }
});

test.run();
