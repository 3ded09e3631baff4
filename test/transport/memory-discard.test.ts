// MemoryTransport.discard: the Node takes back the replication messages still queued for a peer
// (a member that left, a leadership or a transfer that ended: removed-stale-queue,
// transfer-abandoned-stays-abandoned). Those tests run over gRPC, where a down peer's queue holds
// messages for long; over the memory transport they leave at the next flush, so with discard
// made a no-op every test still passed (from a mutation review). Pinned here: the messages it
// selects, queued and not yet flushed, never arrive; the others arrive in order; the drops count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { CollectingLogger, numbered } from './fixtures.js';

test('discard drops the queued messages it selects for one peer, keeps the rest in order, and counts them as dropped', async () => {
  const net = new MemoryNetwork();
  const logger = new CollectingLogger();
  const a = new MemoryTransport(net, { address: 'a', logger });
  const b = new MemoryTransport(net, { address: 'b', logger });
  const c = new MemoryTransport(net, { address: 'c', logger });
  const inbox = new Map<string, Message[]>([['b', []], ['c', []]]);
  b.onMessages((_, ms) => inbox.get('b')!.push(...ms));
  c.onMessages((_, ms) => inbox.get('c')!.push(...ms));
  a.setPeers(['b', 'c']);
  for (const t of [a, b, c]) await t.start();
  try {
    const timeoutNow: Message = { type: 'timeoutNow', from: 1, to: 2, term: 1 };
    a.send('b', [numbered(1), timeoutNow, numbered(2), numbered(3)]);
    a.send('c', [numbered(1), timeoutNow]);
    a.discard('b', (m) => m.type === 'heartbeat' && m.commit !== 2);
    a.discard('nobody', () => true); // not a peer: nothing happens
    await net.settle();
    assert.equal(inbox.get('b'), [timeoutNow, numbered(2)], 'b gets only what was not discarded, in order');
    assert.equal(inbox.get('c'), [numbered(1), timeoutNow], "another peer's queue is untouched");
    assert.is(a.stats().peers.b!.dropped, 2);
    assert.is(a.stats().peers.c!.dropped, 0);
  } finally {
    for (const t of [a, b, c]) await t.stop();
    net.close();
  }
});

test.run();
