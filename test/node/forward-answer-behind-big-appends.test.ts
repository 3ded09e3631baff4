// A follower's write of a big value is answered: the leader's answer to the forwarded proposal,
// queued to that follower between the big appends that carry the value, is not dropped by the
// per-peer queue's byte bound (8 MiB). Before, a 9 MiB write through a follower committed and
// applied everywhere while do() rejected with "the leader did not answer ...; outcome unknown"
// (found in a user trial: 8, 9, 10 and 20 MiB all failed so; through the leader they succeeded).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

const MiB = 1024 * 1024;

test('forwarded proposals: a follower\'s 9 MiB write and six concurrent 4 MiB writes over gRPC are all answered, and apply everywhere', async () => {
  const c = await TestCluster.grpc(3, { heartbeatMs: 100, electionTimeoutMs: 1000, requestTimeoutMs: 15_000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.addresses.map((a) => c.node(a)).find((n) => n !== leader)!;
    await follower.do(new SetCommand('big', 'b'.repeat(9 * MiB)));
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => follower.do(new SetCommand(`k${i}`, `${i}`.repeat(4 * MiB)))));
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    assert.equal(failed, [], 'every concurrent write answered');
    await c.waitFor(() => [...c.nodes.values()].every((n) => n.context.data.get('big')?.length === 9 * MiB && n.context.data.size === 7), 15_000, 'every write to apply everywhere');
  } finally {
    await c.close();
  }
});

test.run();
