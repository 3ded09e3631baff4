// Transport.discard is optional: an application's own transport (NodeOptions.transport) may lack
// it, and then the replication messages queued for a member that left, or by a leadership or a
// transfer that ended, may still be delivered (types.ts). The Node must not require it: with the
// guard in dropReplicationOfEndedLeadership removed, every leader that stepped down threw a
// TypeError while taking its Ready, which stops the node as a fatal error, and every test still
// passed, since the built-in transports all have discard (from a mutation review). Here every
// node's transport hides it; a transfer that ends one leadership, a removal and a transfer that
// fails all leave every node running.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryTransport } from '../../src/transport/memory.js';
import { SetCommand, TestCluster, transferRetrying } from '../support/node-cluster.js';

test('a transport without discard: a leader that hands leadership over, a removal and a failed transfer leave every node running', async () => {
  const c = new TestCluster(4, { requestTimeoutMs: 3000, logLevel: 'error' });
  const fatal: string[] = [];
  c.configure = (node, address) => node.onFatal((err) => fatal.push(`${address}: ${err.name}: ${err.message}`));
  /** Starts the node at `address` over a memory transport without discard. */
  const start = (address: string) => {
    const transport = new MemoryTransport(c.network, { address, logger: { info() {}, warn() {} } });
    Object.defineProperty(transport, 'discard', { value: undefined });
    assert.is(transport.discard, undefined);
    return c.start(address, { transport });
  };
  try {
    await Promise.all(c.addresses.map(start));
    const first = await c.waitLeader();
    await first.do(new SetCommand('a', '1'));
    await c.waitConverged();
    // A leadership that ends.
    const next = c.node(c.addresses.find((a) => a !== first.address)!);
    await transferRetrying(first, next.address); // given up within 200 ms on a busy machine: asked again
    const leader = await c.waitLeader();
    assert.is(leader, next);
    await leader.do(new SetCommand('b', '2'));
    // A member that leaves.
    const gone = c.addresses.find((a) => a !== leader.address && a !== first.address)!;
    await leader.leave(gone);
    await c.stop(gone);
    // A transfer that ends unfinished (its target is down).
    const down = c.addresses.find((a) => a !== leader.address && a !== gone)!;
    await c.stop(down);
    const err = await leader.transferLeadership(down).catch((e: unknown) => e);
    assert.instance(err, Error, 'the transfer to a member that is down fails');
    await start(down);
    await leader.do(new SetCommand('c', '3'));
    await c.waitFor(() => c.node(down).context.data.get('c') === '3', 5000, 'the restarted member to apply the last write');
    assert.equal(fatal, [], 'no node stopped');
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
