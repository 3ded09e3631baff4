// Membership changes: removing the leader when the request reaches another member
// (raft-node: DELETE /members/<leader> sent to a follower's HTTP port).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SetCommand, TestCluster, retryInFlight } from '../support/node-cluster.js';

test('removing the leader through a follower hands leadership over first: leave() resolves within a request timeout shorter than an election timeout', async () => {
  // The request timeout (2.5 s) is shorter than the election timeout (5 s): leave() can resolve in
  // time only if the leader hands leadership over (as leader.leave(leader.address) does). Without
  // that, the leader commits its removal and steps down without telling anyone the commit index,
  // so the asking follower applies the removal only after an election (>= 5 s of silence).
  const c = new TestCluster(3, { electionTimeoutMs: 5000, requestTimeoutMs: 2500, logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader(20000);
    await leader.do(new SetCommand('a', '1'));
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    const others = c.addresses.filter((a) => a !== leader.address).map((a) => c.node(a));
    await c.waitFor(() => follower.context.data.get('a') === '1', 5000, 'the follower to apply a');
    const outcome = await retryInFlight(() => follower.leave(leader.address)).then(
      () => 'resolved',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.is(outcome, 'resolved', 'leave() of the leader, asked of a follower, resolves');
    // At once after a handover; within moments when the handover failed under load and the leader
    // committed its removal itself (it then has a caught-up voter campaign at once): well inside
    // the 5 s election timeout either way. (The CI run of dd95219 checked at the instant leave()
    // resolved and found the campaign still under way.)
    await c.waitFor(() => others.some((n) => n.isLeader()), 2500, 'a remaining member to lead, well inside an election timeout');
    assert.ok(!leader.isLeader());
  } finally {
    await c.close();
  }
});

test('a leader that removed itself (handing leadership over), restarted with join on its old data directory, asks again and is a member again (as the README says)', async () => {
  const c = new TestCluster(3, { logLevel: 'error' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const address = leader.address;
    const others = c.addresses.filter((a) => a !== address);
    await retryInFlight(() => leader.leave(address));
    await c.waitFor(() => leader.isRemoved(), 5000, 'the old leader to know it was removed');
    await c.stop(address);
    const next = await c.waitLeader();
    // README (raft-node): "Restarting it with --join on its old --path asks again only if its log
    // holds its removal (a leader that removed itself)".
    const again = await c.start(address, { join: true, members: others.join(';') });
    await c.waitFor(() => next.members().some((m) => m.address === address), 5000, 'the restarted node to be added again').catch((e: Error) => assert.unreachable(`${e.message}; removed: ${again.isRemoved()}`));
    await c.waitFor(() => !again.isRemoved(), 5000, 'the restarted node to serve again');
  } finally {
    await c.close();
  }
});

test('a leader that removes itself hands leadership to a running voter, not to one that is down (an idle cluster: every voter has the same match index)', async () => {
  const lines: string[] = [];
  // A 1 s election timeout: a handover to the voter that is down still fails (after it), and one
  // to a running voter is not given up under load (at 200 ms, two copies of this file running
  // side by side failed it once).
  const c = new TestCluster(5, { heartbeatMs: 50, electionTimeoutMs: 1000, logLevel: 'warn', logger: (_level, line) => lines.push(line) });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    await c.waitFor(() => c.addresses.every((a) => c.node(a).context.data.get('a') === '1'), 5000, 'every member to apply a');
    await c.waitFor(() => leader.members().every((m) => m.match === leader.status().lastIndex), 5000, 'every follower to be caught up');
    // The follower listed first (the order the leader ranks equally caught-up voters in) goes down.
    const down = leader.members().find((m) => m.address !== leader.address)!.address;
    await c.stop(down);
    lines.length = 0;
    await retryInFlight(() => leader.leave(leader.address));
    const failed = lines.filter((l) => l.includes('could not hand leadership'));
    assert.equal(failed, [], 'the handover went to a running voter');
  } finally {
    await c.close();
  }
});

test.run();
