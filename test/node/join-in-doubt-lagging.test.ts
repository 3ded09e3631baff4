// join() and leave() asked again after an in-doubt attempt, on a follower that lags behind the
// leader: the retry's "already a member" ("not a member") is success although this node's own
// log does not hold the change yet; the leader's refusal says why (MembershipChangeError.problem),
// and the call resolves once the change is committed here. join() threw MembershipChangeError
// for a join that worked, since it trusted only this node's view (found in review).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotLeaderError } from '../../src/errors.js';
import type { Node } from '../../src/node.js';
import { TestCluster, interceptReceive, type Kv, type SeenMessage } from '../support/node-cluster.js';

type Submit = (op: unknown) => Promise<unknown>;

/**
 * `node`'s first proposal goes to the leader, and is answered in doubt (as when the leader changes
 * before answering) once the leader holds it, without waiting for `node` to apply it.
 */
function answerInDoubtOnce(node: Node<Kv>, leaderDone: () => boolean): { attempts: () => number } {
  const inner = node as unknown as { submit: Submit };
  const submit = inner.submit.bind(node);
  let attempts = 0;
  inner.submit = async (op: unknown): Promise<unknown> => {
    attempts++;
    if (attempts > 1) return submit(op);
    submit(op).catch(() => undefined);
    while (!leaderDone()) await new Promise((resolve) => setTimeout(resolve, 5));
    const inDoubt = new NotLeaderError(undefined, 'the leader changed before answering');
    inDoubt.outcomeUnknown = true;
    throw inDoubt;
  };
  return { attempts: () => attempts };
}

/** The follower's replication is slow: appends reach it only after 500 ms (forward answers and heartbeats at once). */
function slowAppends(follower: Node<Kv>): void {
  interceptReceive(follower, (from, messages, deliver) => {
    const slow = messages.filter((m: SeenMessage) => m.type === 'append' || m.type === 'snapshot');
    const rest = messages.filter((m: SeenMessage) => m.type !== 'append' && m.type !== 'snapshot');
    if (rest.length) deliver(from, rest);
    if (slow.length) setTimeout(() => deliver(from, slow), 500);
  });
}

test('join() on a lagging follower whose in-doubt first attempt added the member resolves', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 3000 });
  try {
    await c.startAll();
    const leader = (await c.waitLeader()) as Node<Kv>;
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!) as Node<Kv>;
    slowAppends(follower); // the leader commits with the other follower meanwhile
    const joiner = await c.newAddress();
    const probe = answerInDoubtOnce(follower, () => leader.members().some((m) => m.address === joiner));
    const answer = await follower.join({ address: joiner, nonVoting: true }).then(
      () => 'resolved',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.is(probe.attempts(), 2, 'asked again after the in-doubt answer');
    assert.ok(leader.members().some((m) => m.address === joiner), 'the leader has the joiner as a member: the join worked');
    assert.is(answer, 'resolved', 'join() resolves for a join that worked');
  } finally {
    await c.close();
  }
});

test('leave() on a lagging follower whose in-doubt first attempt removed the member resolves once the removal is committed there', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 3000 });
  try {
    await c.startAll();
    const leader = (await c.waitLeader()) as Node<Kv>;
    const learner = await c.newAddress();
    await leader.join({ address: learner, nonVoting: true });
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!) as Node<Kv>;
    await c.waitFor(() => follower.members().some((m) => m.address === learner), 3000, 'the follower to know the learner');
    slowAppends(follower);
    const probe = answerInDoubtOnce(follower, () => !leader.members().some((m) => m.address === learner));
    const answer = await follower.leave(learner).then(
      () => 'resolved',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    assert.is(probe.attempts(), 2, 'asked again after the in-doubt answer');
    assert.is(answer, 'resolved', 'leave() resolves for a removal that worked');
    assert.not.ok(follower.members().some((m) => m.address === learner), 'and this node knows the removal when it resolves');
  } finally {
    await c.close();
  }
});

test.run();
