// From a mutation review of the gRPC transport (grpc.ts, grpc-link.ts, grpc-inbound.ts, grpc-service.ts).
/**
 * A batch that encodes past the frame limit is split into frames that leave in the order of its
 * messages (grpc-link.ts, framesOf): messages to one peer arrive in the order they were sent,
 * also across a split. oversized-batch.test.ts counts the messages but not their order; a
 * mutation review swapped the halves and nothing failed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { appendOf, waitFor } from './fixtures.js';
import { makeNode, startMesh, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const MiB = 1024 * 1024;

const big = (i: number): Message => appendOf(i, new Uint8Array(22 * MiB).fill(i));

test('a batch split to fit the frame limit arrives in the order it was sent', async () => {
  // Batches cut at 256 MiB: three 22 MiB appends make one batch that encodes past 64 MiB.
  const [a, b] = [makeNode({ maxBatchBytes: 256 * MiB, queue: { maxBytes: 256 * MiB } }), makeNode()];
  await startMesh([a, b]);
  a.t.send(b.t.address, [big(1), big(2), big(3)]);
  await waitFor('all three delivered', () => b.received().length === 3, 20_000);
  assert.is(a.t.stats().peers[b.t.address]!.batchesSent, 2, 'the batch was split in two frames');
  assert.equal(
    b.received().map((m) => (m.type === 'append' ? m.commit : -1)),
    [1, 2, 3],
  );
});

test.run();
