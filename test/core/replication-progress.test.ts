/**
 * §5.3 replication bookkeeping on the leader (progress.ts), from a mutation review: in replicate
 * state the leader sends entries optimistically, so acknowledgments arrive for appends older than
 * the newest sent. A follower is sent each entry once while its link works — an old
 * acknowledgment never makes the leader send again what is already on its way — and an entry it
 * lacks is always sent eventually.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electedLeader, msg } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;
const bytes = (n: number) => new Uint8Array(n);

test('§5.3: an acknowledgment of an older append does not make the leader send again entries already in flight', () => {
  const { h, n, term, noop: N } = electedLeader(3, PLAIN);
  for (let i = 1; i <= 3; i++) {
    n.raft.propose(bytes(8));
    h.process();
  }
  const first = h.take('append').filter((a) => a.to === 2);
  assert.equal(first.flatMap((a) => a.entries.map((e) => e.index)), [N + 1, N + 2, N + 3], 'each entry sent once, optimistically');
  n.raft.step(msg.appendResp(2, 1, term, N + 1)); // the answer to the first of the three
  h.process();
  n.raft.propose(bytes(8));
  h.process();
  const after = h.take('append').filter((a) => a.to === 2);
  const resent = after.flatMap((a) => a.entries.map((e) => e.index)).filter((i) => i <= N + 3);
  assert.equal(resent, [], 'N+2 and N+3 are not sent again');
  assert.ok(after.some((a) => a.prevIndex === N + 3 && a.entries.some((e) => e.index === N + 4)), 'the new entry follows N+3');
  assert.is(n.raft.progressOf(2)?.match, N + 1);
});

test('§5.3 flow control: an acknowledgment of exactly the last entry of an append frees its slot, so the next entry goes out at once', () => {
  const { h, n, term, noop: N } = electedLeader(3, { ...PLAIN, maxInflightMessages: 1 });
  n.raft.propose(bytes(8));
  h.process();
  assert.equal(h.take('append').filter((a) => a.to === 2).map((a) => a.entries.map((e) => e.index)), [[N + 1]]);
  n.raft.step(msg.appendResp(2, 1, term, N + 1));
  h.process();
  h.take();
  n.raft.propose(bytes(8));
  h.process();
  const toTwo = h.take('append').filter((a) => a.to === 2);
  assert.ok(toTwo.some((a) => a.entries.some((e) => e.index === N + 2)), 'N+2 is sent without waiting for a heartbeat answer');
});

test('§5.3: a late rejection of an append after the follower\'s match index is stale — the leader keeps replicating and sends nothing again', () => {
  const { h, n, term, noop: N } = electedLeader(3, PLAIN);
  for (let i = 1; i <= 3; i++) {
    n.raft.propose(bytes(8));
    h.process();
  }
  h.take();
  n.raft.step(msg.appendResp(2, 1, term, N + 2)); // follower 2 holds N+2
  h.process();
  h.take();
  // A rejection of an earlier append whose prevIndex was N+2, delayed past that acknowledgment.
  n.raft.step(msg.appendResp(2, 1, term, N + 2, { reject: true, conflictIndex: N + 1 }));
  h.process();
  assert.is(n.raft.progressOf(2)?.state, 'replicate', 'still replicating');
  assert.is(n.raft.progressOf(2)?.next, N + 4, 'next unchanged');
  assert.equal(h.take('append').filter((a) => a.to === 2 && a.entries.length > 0), [], 'nothing sent again');
});

test('§5.3: while probing, a rejection of an append other than the probe is stale — it neither moves nextIndex nor sends another probe', () => {
  const { h, n, term, noop: N } = electedLeader(3, PLAIN);
  for (let i = 1; i <= 3; i++) {
    n.raft.propose(bytes(8));
    h.process();
  }
  h.take();
  // Follower 2 rejects the append after N+3 (it has nothing past N): the leader probes after N.
  n.raft.step(msg.appendResp(2, 1, term, N + 3, { reject: true, conflictIndex: N + 1 }));
  h.process();
  assert.is(n.raft.progressOf(2)?.state, 'probe');
  assert.is(n.raft.progressOf(2)?.next, N + 1);
  assert.ok(h.take('append').some((a) => a.to === 2 && a.prevIndex === N), 'the probe after N');
  // The rejection of the append after N+2, sent before and delayed, arrives now.
  n.raft.step(msg.appendResp(2, 1, term, N + 2, { reject: true, conflictIndex: N + 2 }));
  h.process();
  assert.is(n.raft.progressOf(2)?.next, N + 1, 'nextIndex stays where the probe went');
  assert.equal(h.take('append').filter((a) => a.to === 2), [], 'no second probe while the first is unanswered');
});

test.run();
