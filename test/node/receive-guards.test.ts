// From a mutation review of src/node.ts (receive): an answer to a forwarded request counts only from the
// member it was sent to; another member's answer under the same request id would settle the
// proposal with a position (or refusal) it never had. (A message addressed to another member id is
// dropped here and again by the core's step(), so that guard is not pinned on its own.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberId } from '../../src/members.js';
import { SetCommand, TestCluster, interceptReceive, type SeenMessage } from '../support/node-cluster.js';
import { outcomeWithin } from '../support/outcome.js';

test('an answer to a forwarded proposal from a member it was not sent to does not settle it', async () => {
  const c = new TestCluster(3, { logLevel: 'silent', requestTimeoutMs: 5000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const [fa, fb] = c.addresses.filter((a) => a !== leader.address) as [string, string];
    const follower = c.node(fa);
    // The leader never sees forwarded requests: the follower's stays unanswered by it.
    interceptReceive(leader, (from, messages, pass) => pass(from, messages.filter((m) => m.type !== 'forward')));
    const deliver = interceptReceive(follower, (from, messages, pass) => pass(from, messages));
    const pending = follower.do(new SetCommand('k', 'v'));
    pending.catch(() => undefined);
    const forwards = (follower as unknown as { forwards: Map<number, unknown> }).forwards;
    await c.waitFor(() => forwards.size > 0, 2000, 'the proposal to be forwarded');
    const [requestId] = [...forwards.keys()] as [number];
    const term = follower.status().term;
    const answer = { type: 'forwardResp', from: memberId(fb), to: memberId(fa), term, requestId, index: 0, logTerm: 0, error: 'badRequest', message: 'answered by a member that was not asked', leader: '' };
    deliver(fb, [answer as unknown as SeenMessage]);
    const outcome = await outcomeWithin(pending, 300);
    assert.ok(outcome.pending, `the proposal was settled by another member's answer: ${String(outcome.error ?? outcome.value)}`);
  } finally {
    await c.close();
  }
});

test.run();
