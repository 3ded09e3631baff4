// Mutation review of the Node's apply path (src/node.ts, applyInOrder): a follower's proposal,
// forwarded to the leader and answered with its log position (index, term), must not be settled
// by whatever entry later applies at that index. If the leader lost its leadership before the
// entry replicated, the next leader puts its own entry at that index (a new term): the proposal
// was dropped, and the follower proposes it again (sessions keep it applying once). Settled with
// the other entry's result, do() resolved for a write that never applied (an acknowledged write
// lost).
//
// The scenario, over the memory transport: leader L, followers F1 and F2. L is cut from F2, and
// L's appends to F1 are dropped (its other messages, the forward answer included, pass). F1's
// do() is forwarded to L, which appends it at (i, t) and answers. L is then isolated; F1 and F2
// elect a new leader, whose first entry lands at i in a later term. F1's do() must resolve only
// once its command applied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';

test('a forwarded proposal whose index is overwritten by a new leader is not answered with the other entry: it applies, then resolves', async () => {
  const c = new TestCluster(3, { heartbeatMs: 20, electionTimeoutMs: 300, requestTimeoutMs: 6000, leaderWaitMs: 6000 });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const [f1a, f2a] = c.addresses.filter((a) => a !== leader.address) as [string, string];
    const f1 = c.node(f1a);
    await leader.do(new SetCommand('x', '0'));
    await c.waitConverged();

    // L cannot reach F2; L's appends to F1 are dropped; the forward answer reaches F1.
    c.network.partition(leader.address, f2a);
    let dropAppends = true;
    let answered: { index: number; logTerm: number } | undefined;
    const transmit = c.network.transmit.bind(c.network);
    c.network.transmit = (from: string, to: string, messages: readonly Message[]): number => {
      if (from !== leader.address || to !== f1a) return transmit(from, to, messages);
      const kept = messages.filter((m) => !(dropAppends && m.type === 'append'));
      for (const m of kept as unknown as Array<{ type: string; index?: number; logTerm?: number; error?: string }>) {
        if (m.type === 'forwardResp' && !m.error) answered = { index: m.index!, logTerm: m.logTerm! };
      }
      return kept.length > 0 ? transmit(from, to, kept) : 0;
    };

    let outcome: { ok: boolean; value?: unknown; error?: unknown } | undefined;
    const write = f1.do(new SetCommand('y', 'mine')).then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    const at = await waitUntil('L to append the forwarded proposal and answer F1', () => answered, 3000);

    // L is cut off entirely; F1 and F2 elect a leader, whose first entry takes index at.index.
    c.network.isolate(leader.address);
    dropAppends = false;
    const newLeader = await waitUntil(
      'a new leader among F1 and F2',
      () => [f1, c.node(f2a)].find((n) => n.isLeader() && n.status().term > at.logTerm),
      5000,
    );
    await waitUntil(`F1 to apply entry ${at.index} of the new term`, () => f1.status().appliedIndex >= at.index, 5000);
    c.network.heal();
    await write;
    assert.ok(outcome, 'the write ended');
    if (outcome.ok) {
      // Resolved: it must have applied, on F1 first of all (it resolves once applied there).
      assert.is(f1.context.data.get('y'), 'mine', `do() resolved (with ${JSON.stringify(outcome.value)}) but y was never written on F1 (new leader ${newLeader.address})`);
    } else {
      // Failing is allowed only in doubt (a slow machine ran out the deadline): a dropped write is
      // proposed again, never answered "not applied" (a test audit: with the retry gone, do()
      // rejected with ProposalDroppedError, y was never written, and this branch passed).
      const err = outcome.error as { outcomeUnknown?: boolean };
      assert.is(err.outcomeUnknown, true, `the overwritten write was not proposed again: ${String(outcome.error)}`);
    }
  } finally {
    await c.close();
  }
});

test.run();
