// §5.2/§5.4 at the Node level: a vote is durable before it is granted, so a node that restarts in
// the same term never votes for a second candidate (one vote per term, even across a crash).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message, VoteRequest } from '../../src/core/messages.js';
import { memberId } from '../../src/members.js';
import { MemoryTransport } from '../../src/transport/memory.js';
import { TestCluster } from '../support/node-cluster.js';

/** A scripted peer on the memory network: sends what the test says and records the answers. */
async function fakePeer(c: TestCluster, address: string) {
  const t = new MemoryTransport(c.network, { address, logger: { info() {}, warn() {} } });
  const inbox: Message[] = [];
  t.onMessages((_from, messages) => inbox.push(...messages));
  await t.start();
  t.setPeers([c.addresses[0]!]);
  return { t, inbox };
}

function voteRequest(from: string, to: string, term: number): VoteRequest {
  return { type: 'vote', from: memberId(from), to: memberId(to), term, preVote: false, lastIndex: 1000, lastTerm: 1000, transfer: false };
}

async function answerTo(c: TestCluster, peer: Awaited<ReturnType<typeof fakePeer>>, request: VoteRequest): Promise<boolean> {
  peer.inbox.length = 0;
  peer.t.send(c.addresses[0]!, [request]);
  const resp = await c.waitFor(() => peer.inbox.find((m) => m.type === 'voteResp' && m.term === request.term), 3000, 'a vote response');
  return resp.type === 'voteResp' && !resp.reject;
}

test('no double vote after restart: a vote granted in term T survives a restart, and a second candidate of T is refused', async () => {
  // Only n1 runs for real; n2 and n3 are scripted and never answer n1's pre-votes, so n1 never
  // changes its own term or vote. After (re)starting, a node ignores vote requests for one
  // election timeout (it may have acknowledged a lease it no longer remembers): wait that out,
  // counted in the node's ticks as the node counts it (a fixed 400 ms sleep was fewer than its 15
  // ticks on a loaded machine, the request was dropped unanswered and the test timed out).
  const c = new TestCluster(3, { electionTimeoutMs: 300, heartbeatMs: 20 });
  const pastStartupLease = () =>
    c.waitFor(() => {
      const raft = (c.node(c.addresses[0]!) as unknown as { raft: { ticksSinceStart: number; opts: { electionTicks: number } } }).raft;
      return raft.ticksSinceStart >= raft.opts.electionTicks;
    }, 5000, 'the start-up lease to run out');
  const [n1, n2, n3] = c.addresses as [string, string, string];
  try {
    await c.start(n1);
    await pastStartupLease();
    const p2 = await fakePeer(c, n2);
    const p3 = await fakePeer(c, n3);
    assert.is(await answerTo(c, p2, voteRequest(n2, n1, 5)), true, 'n1 grants its term-5 vote to n2');
    assert.is(c.node(n1).status().vote, n2);

    await c.stop(n1);
    const restarted = await c.start(n1);
    await pastStartupLease();
    assert.is(restarted.status().term, 5, 'the term survived the restart');
    assert.is(restarted.status().vote, n2, 'the vote survived the restart');
    assert.is(await answerTo(c, p3, voteRequest(n3, n1, 5)), false, 'n3 is refused in term 5 after the restart');
    assert.is(await answerTo(c, p2, voteRequest(n2, n1, 5)), true, 'n2 may ask again (same vote)');
    assert.is(await answerTo(c, p3, voteRequest(n3, n1, 6)), true, 'a new term, a new vote');
    await p2.t.stop();
    await p3.t.stop();
  } finally {
    await c.close();
  }
});

test.run();
