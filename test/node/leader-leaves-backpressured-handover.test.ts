// A leader that commits its own removal (its handover failed: under load, say) steps down in the
// same Ready, and that Ready carries what should keep the cluster available: the commit notice
// to the others and a timeoutNow to a caught-up voter, to campaign at once (Raft.afterCommit).
// The Node then dropped every replication message still queued on its links for a leadership that
// ended (dropReplicationOfEndedLeadership, run after the Ready's messages were handed over), those
// of that very Ready included: on a gRPC link whose stream is backpressured at that moment (its
// write buffer full, as under the load that makes handovers fail) or reconnecting, the timeoutNow
// was thrown away, and the cluster had no leader until an election timeout (plus the followers'
// lease) ran out; delivered when the link drained, it would have started the election at once.
// The commit notices alone are sent with sendSoon (a 2 ms timer that Transport.flush() does not
// cut short), so over gRPC they were dropped even on healthy links (found in review of 8318ebd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { TestCluster, interceptReceive, retryInFlight } from '../support/node-cluster.js';
import { caughtUpLeader, holdTimeoutNowLinks } from '../support/held-link.js';

test('a leader that commits its own removal while its link to the caught-up voter is backpressured still has it campaign at once once the link drains', async () => {
  const c = await TestCluster.grpc(3, { heartbeatMs: 50, electionTimeoutMs: 2000, requestTimeoutMs: 6000 });
  try {
    const leader = await caughtUpLeader(c);
    const others = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a));
    // The handover fails (as under load): the leader removes itself and steps down at the commit.
    (leader as unknown as { handOverLeadership(): Promise<boolean> }).handOverLeadership = async () => false;
    // The link that takes the timeoutNow is backpressured at that moment, for 150 ms (its stream's
    // write() returned false; 'drain' comes 150 ms later): it keeps the batch queued meanwhile.
    const held = holdTimeoutNowLinks(leader, 150);
    await retryInFlight(() => leader.leave(leader.address));
    assert.ok(!leader.isLeader(), 'the leader stepped down at its removal');
    assert.is(held.length, 1, 'the step-down sent one timeoutNow, over the held link');
    // Once the link drains (150 ms) the voter campaigns: a leader well inside the 2 s election timeout.
    const started = performance.now();
    await c
      .waitFor(() => others.find((n) => n.isLeader()), 1000, 'a remaining member to lead within 1 s')
      .catch((e: Error) => assert.unreachable(`${e.message}: none led within ${Math.round(performance.now() - started)} ms (the timeoutNow was dropped from the link's queue)`));
  } finally {
    await c.close();
  }
});

test('a leader that commits its own removal tells every remaining member the commit over healthy gRPC links', async () => {
  const c = await TestCluster.grpc(3, { heartbeatMs: 50, electionTimeoutMs: 2000, requestTimeoutMs: 6000 });
  try {
    const leader = await caughtUpLeader(c);
    (leader as unknown as { handOverLeadership(): Promise<boolean> }).handOverLeadership = async () => false;
    // The highest commit index each remaining member heard from the leader.
    const heard = new Map<string, number>();
    for (const a of c.addresses.filter((x) => x !== leader.address)) {
      heard.set(a, 0);
      interceptReceive(c.node(a), (from, messages, deliver) => {
        if (from === leader.address) {
          for (const m of messages as unknown as Message[]) {
            if (m.type === 'append' || m.type === 'heartbeat') heard.set(a, Math.max(heard.get(a)!, m.commit));
          }
        }
        deliver(from, messages);
      });
    }
    await retryInFlight(() => leader.leave(leader.address));
    assert.ok(!leader.isLeader(), 'the leader stepped down at its removal');
    const removal = leader.status().commitIndex;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      [...heard].filter(([, commit]) => commit < removal).map(([a, commit]) => `${a} heard commit ${commit} < ${removal}`),
      [],
      'every remaining member heard the commit of the removal from the leader that stepped down',
    );
  } finally {
    await c.close();
  }
});

test.run();
