// Membership changes: a node started with `join` whose addition the leader accepted
// but never committed (the leader lost its quorum, and the next leader overwrote the entry).
import { test } from 'uvu';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

test('a joining node whose accepted addition is overwritten by the next leader asks again and becomes a member', async () => {
  const c = new TestCluster(3, { electionTimeoutMs: 1000, requestTimeoutMs: 3000, logLevel: 'error' });
  try {
    await c.startAll();
    const old = await c.waitLeader();
    await old.do(new SetCommand('a', '1'));
    const followers = c.addresses.filter((a) => a !== old.address);
    // The leader's appends stop reaching the followers: it can still append (and answer the
    // joiner) but can commit nothing; after an election timeout the followers elect a new leader.
    for (const f of followers) c.network.cut(old.address, f);
    const joinerAddress = await c.newAddress();
    // The joiner knows only the old leader, so that it asks it.
    const joiner = await c.start(joinerAddress, { join: true, members: old.address });
    await c.waitFor(() => old.members().some((m) => m.address === joinerAddress), 3000, 'the old leader to append the addition');
    // The followers elect a new leader that never saw the addition; then everything heals and
    // the new leader overwrites the old leader's uncommitted addition.
    const next = await c.waitFor(() => followers.map((a) => c.node(a)).find((n) => n.isLeader()), 8000, 'a new leader among the followers');
    c.network.heal();
    await next.do(new SetCommand('b', '2'));
    await c.waitFor(() => old.context.data.get('b') === '2', 5000, 'the old leader to follow the new one (its addition entry overwritten)');
    // The joiner started with `join` must end up in the cluster: it asked to join and nothing
    // refused it. It is left out forever if it stopped asking once its addition was accepted.
    await c.waitFor(() => next.isLeader() && next.members().some((m) => m.address === joinerAddress), 8000, 'the joiner to be added by the new leader');
    await c.waitFor(() => joiner.context.data.get('b') === '2', 5000, 'the joiner to catch up');
  } finally {
    await c.close();
  }
});

test.run();
