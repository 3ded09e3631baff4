// Leader stickiness covers votes of the follower's own term too. A follower that took in a higher
// term T+1 from a message other than a vote request (a late rejection of its own pre-vote, a late
// answer to an append it sent as an earlier leader) has no vote and no leader in T+1, yet may have
// just acknowledged a live leader's round: it must not grant a vote or pre-vote for T+1 until its
// protection ends (regression, found in review: only higher-term requests were checked, so it
// granted at once and the old leader served a stale lease read; the same after a restart inside
// the quiet period).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { Harness, dec, enc, lastOf, msg, voters, protectedFollower } from '../support/raft-harness.js';


test('vote protection, same term: a follower that took T+1 from a late pre-vote rejection does not grant a vote for T+1', () => {
  const { h, A, T } = protectedFollower();
  A.raft.step(msg.voteResp(3, 2, T + 1, true, true)); // late rejection of 2's own pre-vote, carrying T+1
  h.process();
  assert.is(A.raft.term, T + 1);
  const { lastIndex, lastTerm } = lastOf(A);
  A.raft.step(msg.vote(3, 2, T + 1, { lastIndex, lastTerm }));
  h.process();
  const granted = h.take('voteResp').some((m) => m.to === 3 && !m.preVote && !m.reject);
  assert.not.ok(granted, 'vote for T+1 granted within the leader lease node 2 just acknowledged');
});

test('vote protection, same term: nor a pre-vote for T+1', () => {
  const { h, A, T } = protectedFollower();
  A.raft.step(msg.voteResp(3, 2, T + 1, true, true));
  h.process();
  const { lastIndex, lastTerm } = lastOf(A);
  A.raft.step(msg.vote(3, 2, T + 1, { lastIndex, lastTerm, preVote: true }));
  h.process();
  const granted = h.take('voteResp').some((m) => m.to === 3 && m.preVote && !m.reject);
  assert.not.ok(granted, 'pre-vote for T+1 granted within the leader lease');
});

test('vote protection, same term: nor after taking T+1 from a late append rejection (it led an earlier term)', () => {
  const { h, A, T } = protectedFollower();
  A.raft.step(msg.appendResp(3, 2, T + 1, 0, { reject: true }));
  h.process();
  const { lastIndex, lastTerm } = lastOf(A);
  A.raft.step(msg.vote(3, 2, T + 1, { lastIndex, lastTerm }));
  h.process();
  const granted = h.take('voteResp').some((m) => m.to === 3 && !m.preVote && !m.reject);
  assert.not.ok(granted, 'vote for T+1 granted within the leader lease');
});

test('vote protection, same term: nor after a restart inside the quiet period (T+1 was saved with no vote)', () => {
  const { h, A, T } = protectedFollower();
  A.raft.step(msg.voteResp(3, 2, T + 1, true, true));
  h.process();
  assert.equal(A.storage.hardState.term, T + 1);
  const B = h.restart(2); // start-up quiet period: refuses higher-term votes for an election timeout
  h.process();
  h.take();
  B.raft.step(msg.vote(3, 2, T + 1, lastOf(B)));
  h.process();
  const granted = h.take('voteResp').some((m) => m.to === 3 && !m.preVote && !m.reject);
  assert.not.ok(granted, 'vote for T+1 granted during the start-up quiet period');
});

/**
 * End to end, 5 voters, every link FIFO (no reordering): the pre-vote rejection reaches node 2
 * over 4->2 while candidate 3's vote request (same term) is still on the slow 3->2 link.
 */
test('lease read, same term (5 voters, in-order links): no stale read after a protected follower takes T+1 from a late pre-vote rejection (regression, found in review)', () => {
  const h = new Harness(voters(1, 2, 3, 4, 5)); // lease 810 ms
  const setNow = (t: number) => { for (const n of h.nodes.values()) n.clock.now = t; };
  const L = h.node(1), A = h.node(2), X = h.node(3);
  h.elect(1);
  const T = L.raft.term;
  assert.ok(L.raft.propose(enc('v1')).ok);
  h.deliverAll();
  setNow(0);
  h.tick(1);
  h.deliverAll();
  assert.ok(L.raft.leaseValid());

  // Hold 3->2 (a slow link, FIFO) from the moment 3 is candidate.
  const held: Message[] = [];
  let holding = false;
  const run = () => {
    h.process();
    while (h.queue.length) {
      const m = h.queue.shift()!;
      if (holding && m.from === 3 && m.to === 2) held.push(m);
      else h.deliver(m);
      h.process();
    }
  };
  // t = 100..1100: node 1 stalled (does not tick, nothing to or from it).
  h.partition([1], [2, 3, 4, 5]);
  h.pinElectionTimeout(3, 10);
  h.pinElectionTimeout(4, 19);
  h.pinElectionTimeout(5, 19);
  h.pinElectionTimeout(2, 11);
  const rejection: Message[] = [];
  for (let t = 100; t <= 1100; t += 100) {
    setNow(t);
    for (const id of [2, 3, 4, 5]) h.tick(id);
    if (t === 1000) {
      // 3 times out: pre-votes go to 2,4,5 (all unprotected now) and are granted; it campaigns for T+1.
      h.process();
      // deliver only 3's pre-votes and their answers, then hold 3->2
      while (X.raft.role !== 'candidate') { const m = h.queue.shift()!; h.deliver(m); h.process(); }
      holding = true;
      // Now 3's real vote requests: to 2 held; to 4 granted; to 5 dropped (lost).
      h.queue = h.queue.filter((m) => !(m.from === 3 && m.to === 5));
      run();
      assert.is(X.raft.role, 'candidate');
      assert.is(h.node(4).raft.vote, 3);
      h.pinElectionTimeout(3, 19);
    } else if (t === 1100) {
      // 2 times out: its pre-vote (T+1) goes to 4 (at T+1, voted for 3): rejected with T+1.
      // Its pre-vote to 3 is held by the test too (the 2->3 answer would come over 3->2 anyway),
      // its pre-vote to 5 is lost. The rejection from 4 is kept back until node 1 resumes.
      h.process();
      assert.is(A.raft.role, 'preCandidate');
      h.queue = h.queue.filter((m) => !(m.from === 2 && (m.to === 5 || m.to === 3)));
      // deliver 2->4 pre-vote; hold 4's answer
      const pv = h.queue.filter((m) => m.from === 2 && m.to === 4);
      h.queue = h.queue.filter((m) => !(m.from === 2 && m.to === 4));
      for (const m of pv) { h.deliver(m); h.process(); }
      rejection.push(...h.queue.filter((m) => m.from === 4 && m.to === 2));
      h.queue = h.queue.filter((m) => !(m.from === 4 && m.to === 2));
      run();
    } else run();
  }
  assert.ok(rejection.length === 1 && rejection[0]!.type === 'voteResp' && rejection[0]!.reject && rejection[0]!.term === T + 1, JSON.stringify(rejection));

  // t = 1200: node 1 resumes; 1<->2 and 1<->5 work for one round: 2 and 5 acknowledge a round
  // made at 1200 (1, 2, 5: a majority of 5). Lease until 2010.
  setNow(1200);
  h.cut.delete('1->2'); h.cut.delete('2->1'); h.cut.delete('1->5'); h.cut.delete('5->1');
  h.tick(1);
  run();
  assert.is(L.raft.role, 'leader');
  assert.is(A.raft.lead, 1);
  assert.is(A.raft.term, T);
  assert.ok(L.raft.leaseValid(), 'leader 1 holds a fresh lease');
  h.partition([1], [2, 3, 4, 5]);

  // 4's late rejection arrives (2 adopts T+1, no leader); then the slow 3->2 link delivers 3's vote for T+1.
  for (const m of rejection) { h.deliver(m); h.process(); }
  holding = false;
  for (const m of held.splice(0)) { h.deliver(m); h.process(); }
  run();

  let committedAt: number | undefined;
  let staleAt: number | undefined;
  for (let t = 1300; t <= 2000; t += 100) {
    setNow(t);
    for (const id of [1, 2, 3, 4, 5]) h.node(id).raft.tick();
    run();
    if (X.raft.role === 'leader' && committedAt === undefined) {
      const w = X.raft.propose(enc('v2'));
      assert.ok(w.ok);
      run();
      if (X.applied.some((e) => dec(e.data) === 'v2')) committedAt = t;
    }
    if (committedAt !== undefined && committedAt < t && staleAt === undefined && L.raft.role === 'leader') {
      L.raft.readIndex('after-v2', true);
      h.process();
      if (L.readStates.some((r) => r.context === 'after-v2') && !L.applied.some((e) => dec(e.data) === 'v2')) staleAt = t;
    }
  }
  assert.not.ok(
    staleAt !== undefined,
    `node 3 elected for term ${X.raft.term} (T=${T}) with node 2's vote, committed v2 at ${committedAt} ms; leader 1 served a lease read at ${staleAt} ms that misses it`,
  );
});

test.run();
