// Mutation review of a received snapshot's install (src/node.ts, receiveSnapshot): the sessions
// the snapshot carries replace the follower's table along with its context. Otherwise a follower
// that learnt a proposal only through the snapshot runs a later copy of it, which every other
// member skips: its state differs from theirs for good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { ResultNotKeptError } from '../../src/errors.js';
import { SetCommand, TestCluster, interceptReceive, type Kv } from '../support/node-cluster.js';

/** Proposes `command` under session `session`, seq 1 (a copy when repeated), through `node`. */
function proposeCopy(node: Node<Kv>, command: SetCommand, session: number): Promise<{ result: unknown; index: number }> {
  const inner = node as unknown as {
    registry: { encode(c: SetCommand, session: { session: number; seq: number; floor: number }): Uint8Array };
    submit(op: { op: 'propose'; data: Uint8Array; address: string }): Promise<{ result: unknown; index: number }>;
  };
  return inner.submit({ op: 'propose', data: inner.registry.encode(command, { session, seq: 1, floor: 1 }), address: '' });
}

test('a follower that learnt a proposal through an installed snapshot skips a later copy of it, as the others do', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', snapshotTrailingEntries: 0, snapshotsKept: 1, walSegmentBytes: 1024 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const lagging = c.node(c.addresses.find((a) => a !== leader.address)!);
    await leader.do(new SetCommand('k', 'v0'));
    await c.waitFor(() => lagging.context.data.get('k') === 'v0', 5000, 'k=v0 on the follower');
    // The follower stops receiving the leader's log: it will learn what follows only by snapshot.
    let blocked = true;
    interceptReceive(lagging, (from, messages, deliver) => deliver(from, blocked ? messages.filter((m) => m.type !== 'append' && m.type !== 'snapshot') : messages));
    const session = (leader as unknown as { proposer: { session: number } }).proposer.session + 1;
    await proposeCopy(leader, new SetCommand('z', 'once'), session);
    for (let i = 1; i <= 10; i++) await leader.do(new SetCommand('k', `v${i}`));
    const at = await leader.snapshot();
    assert.ok(leader.status().firstIndex > lagging.status().appliedIndex + 1, 'the follower can only catch up through the snapshot');
    blocked = false;
    await c.waitFor(() => lagging.status().snapshotIndex >= at && lagging.status().appliedIndex >= at, 5000, 'the follower to install and recover the snapshot');
    // A copy of the proposal: skipped on the leader (not its own session: no result kept)...
    const again = await proposeCopy(leader, new SetCommand('z', 'once'), session).catch((e: Error) => e);
    assert.instance(again, ResultNotKeptError);
    await leader.do(new SetCommand('after', 'yes'));
    await c.waitFor(() => lagging.context.data.get('after') === 'yes', 5000, 'the follower to apply past the copy');
    // ...and on the follower too.
    assert.equal(lagging.context.log, leader.context.log, "the follower's applied commands are the leader's");
  } finally {
    await c.close();
  }
});

test.run();
