// join() asked again after an attempt whose outcome is unknown (the leader changed before it
// answered): the first attempt may have added the member, and the retry's "already a member"
// then means success, once that addition is committed — as leave() does for a removal. It threw
// the in-doubt NotLeaderError, and a caller retrying by hand got a MembershipChangeError for a
// join that worked (found by the node fuzz test).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotLeaderError } from '../../src/errors.js';
import type { Node } from '../../src/node.js';
import { TestCluster, type Kv } from '../support/node-cluster.js';

type Submit = (op: unknown) => Promise<unknown>;

/** Makes `node`'s next proposal go through and then answer as if the leader changed before replying. */
function answerInDoubtOnce(node: Node<Kv>): { attempts: () => number } {
  const inner = node as unknown as { submit: Submit };
  const submit = inner.submit.bind(node);
  let attempts = 0;
  inner.submit = async (op: unknown): Promise<unknown> => {
    attempts++;
    const result = await submit(op);
    if (attempts > 1) return result;
    const inDoubt = new NotLeaderError(undefined, 'the leader changed before answering');
    inDoubt.outcomeUnknown = true;
    throw inDoubt;
  };
  return { attempts: () => attempts };
}

test('join() whose first attempt ended in doubt but added the member resolves once the addition is committed', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 3000 });
  try {
    await c.startAll();
    const leader = (await c.waitLeader()) as Node<Kv>;
    const joiner = await c.newAddress();
    const probe = answerInDoubtOnce(leader);
    await leader.join({ address: joiner, nonVoting: true });
    assert.is(probe.attempts(), 2, 'asked again after the in-doubt answer');
    assert.ok(leader.members().some((m) => m.address === joiner && m.nonVoting), 'the joiner is a member');
  } finally {
    await c.close();
  }
});

test('join() of an address that was already a member before the call is still refused', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 3000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const other = c.addresses.find((a) => a !== leader.address)!;
    const answer = await leader.join({ address: other }).then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    assert.is(answer, 'MembershipChangeError');
  } finally {
    await c.close();
  }
});

test.run();
