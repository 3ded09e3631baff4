// The leader tells a removed non-voting member of its removal when it commits. A test of this in
// removed-member.test.ts also passed with the leader telling no one (a test audit): the learner's
// own announcements, every two election timeouts, are answered with the same notice. Here they are
// dropped on the wire, so only the leader's notice can tell it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { RemovedError } from '../../src/errors.js';
import { SetCommand, TestCluster, retryInFlight } from '../support/node-cluster.js';

test('a non-voting member whose announcements never arrive is still told by the leader, when its removal commits', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const address = await c.newAddress();
    c.addresses.push(address);
    const learner = await c.start(address, { join: true, nonVoting: true, members: c.addresses.slice(0, 3).join(';') });
    await leader.do(new SetCommand('a', '1'));
    await c.waitFor(() => learner.context.data.get('a') === '1', 5000, 'the learner to catch up');
    let announcementsDropped = 0;
    const transmit = c.network.transmit.bind(c.network);
    c.network.transmit = (from: string, to: string, messages: readonly Message[]): number => {
      if (from !== address) return transmit(from, to, messages);
      const kept = messages.filter((m) => (m as { type: string }).type !== 'nodeMeta');
      announcementsDropped += messages.length - kept.length;
      return kept.length > 0 ? transmit(from, to, kept) : 0;
    };
    // The drop works: the learner's announcements are lost (else the test proves nothing). (It
    // stops announcing once it knows it was removed, so this is checked before the removal.)
    await c.waitFor(() => announcementsDropped > 0, 2000, 'an announcement of the learner to be dropped');
    await retryInFlight(() => leader.leave(address));
    await c.waitFor(() => learner.isRemoved(), 1000, 'the learner to be told by the leader');
    const err = await learner.do(new SetCommand('b', '2')).catch((e: Error) => e);
    assert.ok(err instanceof RemovedError, String(err));
  } finally {
    await c.close();
  }
});

test.run();
