/**
 * The Node layer's forwarded proposals (type 'forward', the encoded command in `data`) travel on
 * the peer streams like Raft messages. A batch must never encode past the frame limit and be
 * dropped whole (before, 70 forwarded 1 MiB writes sent in one turn were dropped as one 73 MB
 * batch): batches are cut by a size estimate that counts their payload (test/transport/
 * queue-forward-bytes.test.ts), and one that still encodes too large is split. The queue's byte
 * bound applies to them like any message (raised here to hold all 70); the Node keeps at most
 * 4 MiB of them unanswered (test/node/forward-budget.test.ts).
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
  const [a, b] = [makeNode({ queue: { maxBytes: 128 * MiB } }), makeNode()];
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
