/**
 * The Node layer's forwarded proposals (type 'forward', the encoded command in `data`) travel on
 * the peer streams like Raft messages, but the size estimate batches are cut by does not count
 * their payload: a batch that encodes past the frame limit is split, not dropped whole (before,
 * 70 forwarded 1 MiB writes sent in one turn were dropped as one 73 MB batch). Their bytes in
 * flight are bounded by the Node (test/node/forward-budget.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import type { ForwardRequest } from '../../src/peer-messages.js';
import { waitFor } from './fixtures.js';
import { makeNode, startMesh, stopAll, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const MiB = 1024 * 1024;

/** A follower forwarding a client's write to the leader (raft-node: a PUT of `bytes` bytes). */
function forward(requestId: number, bytes: number): Message {
  const m: ForwardRequest = { type: 'forward', from: 2, to: 1, term: 3, requestId, op: 'propose', data: new Uint8Array(bytes).fill(7), address: '' };
  return m as unknown as Message;
}

test('forwarded proposals sent in one turn are cut into frames under the frame limit, not dropped as one oversized batch', async () => {
  const [a, b] = [makeNode(), makeNode()];
  await startMesh([a, b]);
  // 70 clients each PUT a 1 MiB value (raft-node's default limit) on a follower in the same turn.
  const batch = Array.from({ length: 70 }, (_, i) => forward(i, MiB));
  a.t.send(b.t.address, batch);
  await waitFor(
    'every forward delivered, or the batch dropped',
    () => b.received().length === batch.length || a.t.stats().peers[b.t.address]!.dropped > 0,
    20_000,
  );
  assert.is(a.t.stats().peers[b.t.address]!.dropped, 0, `nothing dropped: ${a.logger.matching('dropped').join(' | ')}`);
  assert.is(b.received().length, batch.length);
  await stopAll([a, b]);
});

test.run();
