// From a mutation review of src/node.ts (join, leave): "already a member" and "not a member" are taken as
// success only for a request asked again after its first attempt ended in doubt (an earlier attempt
// did it). Asked once, they are the answer: a caller adding a member twice, or removing an address
// that never was one (a typo), is told so — MembershipChangeError with the problem code — and the
// configuration is unchanged. A change asked again after a leader-lost answer is asked again only
// while its request's time lasts (askAgainAfterDoubt), or join()/leave() could outlive
// requestTimeoutMs for as long as leadership keeps moving.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MembershipChangeError, NotLeaderError } from '../../src/errors.js';
import type { Node } from '../../src/node.js';
import { TestCluster, type Kv } from '../support/node-cluster.js';

async function refusal(p: Promise<void>): Promise<MembershipChangeError> {
  const outcome = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.instance(outcome, MembershipChangeError, `expected MembershipChangeError, got ${outcome === undefined ? 'success' : String(outcome)}`);
  return outcome as MembershipChangeError;
}

async function withCluster(body: (c: TestCluster, leader: Node<Kv>, follower: Node<Kv>) => Promise<void>): Promise<void> {
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = c.node(c.addresses.find((a) => a !== leader.address)!);
    await body(c, leader, follower);
  } finally {
    await c.close();
  }
}

test('join() of a current member, asked once, rejects with MembershipChangeError (alreadyMember), on the leader and through a follower', async () => {
  await withCluster(async (c, leader, follower) => {
    const other = c.addresses.find((a) => a !== leader.address && a !== follower.address)!;
    for (const asker of [leader, follower]) {
      const err = await refusal(asker.join({ address: other }));
      assert.is(err.problem, 'alreadyMember', `asked of the ${asker === leader ? 'leader' : 'follower'}: ${err.message}`);
    }
    assert.is(leader.members().length, 3);
  });
});

test('leave() of an address that is not a member, asked once, rejects with MembershipChangeError (notMember), on the leader and through a follower', async () => {
  await withCluster(async (c, leader, follower) => {
    for (const asker of [leader, follower]) {
      const err = await refusal(asker.leave('n9:9009'));
      assert.is(err.problem, 'notMember', `asked of the ${asker === leader ? 'leader' : 'follower'}: ${err.message}`);
    }
    assert.equal(leader.members().map((m) => m.address).sort(), [...c.addresses].sort());
  });
});

test('a membership change whose leader was lost mid-request is asked again only before its deadline', async () => {
  await withCluster(async (_c, leader) => {
    const askAgain = (leader as unknown as { askAgainAfterDoubt(err: unknown, deadline: number): Promise<boolean> }).askAgainAfterDoubt.bind(leader);
    const lost = new NotLeaderError(undefined, 'the leader changed before answering; outcome unknown');
    lost.outcomeUnknown = true;
    assert.is(await askAgain(lost, performance.now() + 5000), true, 'in doubt, time left: asked again');
    assert.is(await askAgain(lost, performance.now() - 1), false, 'in doubt, past the deadline: not asked again');
    assert.is(await askAgain(new NotLeaderError(undefined, 'not the leader'), performance.now() + 5000), false, 'a definite refusal: not asked again');
    assert.is(await askAgain(lost, performance.now() + 5), false, 'in doubt, the deadline passing during the pause: not asked again');
  });
});

test('join() and leave() asked again after a leader-lost answer keep the first attempt\'s deadline (requestTimeoutMs bounds the whole call)', async () => {
  await withCluster(async (_c, leader) => {
    type Submit = (op: { op: string; address: string }, deadline?: number) => Promise<unknown>;
    const inner = leader as unknown as { submit: Submit };
    const real = inner.submit;
    for (const call of [() => leader.join({ address: 'n9:9009' }), () => leader.leave('n9:9009')]) {
      const deadlines: Array<number | undefined> = [];
      inner.submit = async (_op, deadline) => {
        deadlines.push(deadline);
        const lost = new NotLeaderError(undefined, 'the leader changed before answering; outcome unknown');
        lost.outcomeUnknown = deadlines.length === 1; // the first attempt ends in doubt, the second definitely
        throw lost;
      };
      const started = performance.now();
      await call().catch(() => undefined);
      assert.is(deadlines.length, 2, 'asked once more after the doubtful answer');
      assert.type(deadlines[0], 'number', 'the first attempt is given the call\'s deadline');
      assert.ok(deadlines[0]! > started && deadlines[0]! <= performance.now() + 10_000, `a deadline within requestTimeoutMs of the call: ${deadlines[0]! - started} ms`);
      assert.is(deadlines[1], deadlines[0], 'the second attempt keeps the first one\'s deadline, not a fresh requestTimeoutMs');
    }
    inner.submit = real;
  });
});

test.run();
