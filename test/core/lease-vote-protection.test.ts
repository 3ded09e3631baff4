// Leader leases (thesis §6.4.1) rest on the followers: a follower that acknowledged a leader's
// heartbeat round refuses (pre-)votes for an election timeout, so no other leader can be elected
// before that round's lease ends. The lease runs from when the round was made, before it left.
// Regression (found in review): the refusal was tied to the follower knowing its leader, and
// any higher-term message other than a vote request (a late rejection of its own pre-vote, a
// late answer to an append it sent as an earlier leader) made it forget the leader and grant
// votes at once; another node could then be elected and commit while the old leader, partitioned
// right after that acknowledgement, still served lease reads that missed the write. The refusal
// now runs for an election timeout after the last append, heartbeat or snapshot from a leader,
// whatever the follower's term or leader since.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/index.js';
import { Harness, dec, enc, lastOf, msg, voters, protectedFollower } from '../support/raft-harness.js';

test('lease start: the lease runs from when the round was made in the core, even if its Ready left (and was acknowledged) much later', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.deliverAll();
  const L = h.node(1);
  const setNow = (t: number) => { for (const n of h.nodes.values()) n.clock.now = t; };
  setNow(0);
  L.raft.tick(); // heartbeat round created at t=0; the driver has not taken the Ready yet
  setNow(300); // event loop blocked / write in flight: the round leaves at 300, acked at 300
  h.deliverAll();
  setNow(809);
  assert.ok(L.raft.leaseValid());
  setNow(810);
  assert.not.ok(L.raft.leaseValid(), 'ends at creation time + 810, not send/ack time + 810');
});


function grantsNextVotes(h: Harness, A: ReturnType<typeof protectedFollower>['A'], term: number): { pre: boolean; real: boolean } {
  const { lastIndex, lastTerm } = lastOf(A);
  A.raft.step(msg.vote(3, 2, term, { lastIndex, lastTerm, preVote: true }));
  h.process();
  const pre = h.take('voteResp').some((m) => m.to === 3 && m.preVote && !m.reject);
  A.raft.step(msg.vote(3, 2, term, { lastIndex, lastTerm }));
  h.process();
  const real = h.take('voteResp').some((m) => m.to === 3 && !m.preVote && !m.reject);
  return { pre, real };
}

test('vote protection: a follower that acknowledged a round ignores a higher-term vote request (thesis §4.2.3)', () => {
  const { h, A, T } = protectedFollower();
  const g = grantsNextVotes(h, A, T + 1);
  assert.equal(g, { pre: false, real: false });
  assert.is(A.raft.term, T);
});

test('vote protection: a follower that receives a late, higher-term rejection of its pre-vote keeps refusing votes (regression)', () => {
  const { h, A, T } = protectedFollower();
  // The late answer to a pre-vote node 2 sent before it heard from leader 1 again (see the lease read test below).
  A.raft.step(msg.voteResp(3, 2, T + 1, true, true));
  h.process();
  const g = grantsNextVotes(h, A, T + 2);
  assert.equal(g, { pre: false, real: false }, `term ${A.raft.term} (was ${T}), lead ${A.raft.lead}: votes granted ${JSON.stringify(g)} within the leader's lease`);
});

test('vote protection: a follower that receives a higher-term rejection of an append it sent as an earlier leader keeps refusing votes (regression)', () => {
  const { h, A, T } = protectedFollower();
  // Node 2 led an earlier term; node 3 (now at T+1) answers a late append of that term.
  A.raft.step(msg.appendResp(3, 2, T + 1, 0, { reject: true }));
  h.process();
  const g = grantsNextVotes(h, A, T + 2);
  assert.equal(g, { pre: false, real: false }, `term ${A.raft.term} (was ${T}), lead ${A.raft.lead}: votes granted ${JSON.stringify(g)} within the leader's lease`);
});

test('lease read: no stale read when a protected follower takes in a late, higher-term pre-vote rejection while the old leader is partitioned (regression, found in review)', () => {
  const h = new Harness(voters(1, 2, 3)); // electionTicks 10, tickMs 100, drift margin 0.1: lease 810 ms
  const setNow = (t: number) => { for (const n of h.nodes.values()) n.clock.now = t; };
  const L = h.node(1);
  const A = h.node(2);
  const X = h.node(3);
  h.elect(1);
  const T = L.raft.term;
  const v1 = L.raft.propose(enc('v1'));
  assert.ok(v1.ok);
  h.deliverAll();
  setNow(0);
  h.tick(1); // heartbeat round at t=0, acknowledged by both
  h.deliverAll();
  assert.ok(L.raft.leaseValid());

  // Messages 3→2 are held (in order) once node 3 has its pre-vote answered: a slow link.
  const delayed: Message[] = [];
  let holding = false;
  const run = () => {
    h.process();
    while (h.queue.length) {
      const m = h.queue.shift()!;
      if (holding && m.from === 3 && m.to === 2 && !(m.type === 'vote' && m.preVote && m.term === T + 1)) delayed.push(m);
      else h.deliver(m);
      h.process();
    }
  };

  // t = 0..1400: node 1 is stalled (a GC pause, SIGSTOP): it neither ticks nor talks.
  h.partition([1], [2, 3]);
  h.pinElectionTimeout(2, 12);
  h.pinElectionTimeout(3, 10);
  for (let t = 100; t <= 1400; t += 100) {
    setNow(t);
    h.tick(2);
    h.tick(3);
    if (t === 1000) {
      // Node 3 times out first; node 2 (unprotected: 10 ticks without the leader) grants its
      // pre-vote; node 3 starts a real election for T+1. Its vote request to 2 is held.
      h.process();
      const prevote = h.queue.filter((m) => m.from === 3 && m.to === 2);
      assert.ok(prevote.length === 1 && prevote[0]!.type === 'vote' && prevote[0]!.preVote);
      holding = true; // from here on 3→2 is slow (the pre-vote request above already went through)
      run();
      assert.is(X.raft.role, 'candidate');
      assert.is(X.raft.term, T + 1);
      h.pinElectionTimeout(3, 10); // (redrawn at the term change) it campaigns again at t=2000
    } else run();
    if (t === 1200) {
      // Node 2 times out too: its pre-vote (term T+1) reaches node 3, which rejects it with
      // its term T+1. That answer is held on the slow 3→2 link.
      assert.is(A.raft.role, 'preCandidate');
      assert.is(A.raft.term, T);
    }
  }
  assert.ok(delayed.some((m) => m.type === 'voteResp' && m.reject && m.term === T + 1), 'node 3 rejected node 2’s pre-vote with term T+1');

  // t = 1500: node 1 resumes. Its link to 2 works for one round trip: node 2 follows it again
  // and acknowledges a round sent at 1500. Lease until 2310.
  setNow(1500);
  h.cut.delete('1->2');
  h.cut.delete('2->1');
  h.tick(2);
  h.tick(3);
  run();
  h.tick(1);
  run();
  assert.is(A.raft.role, 'follower');
  assert.is(A.raft.lead, 1);
  assert.ok(L.raft.leaseValid(), 'leader 1 holds a fresh lease (round sent at 1500)');
  // The partition falls again: exactly the case the lease is for.
  h.partition([1], [2, 3]);

  // The slow link delivers: the vote request for T+1 is ignored (node 2 is lease-protected), but
  // the pre-vote rejection carrying T+1 makes node 2 adopt T+1 with no leader.
  holding = false;
  for (const m of delayed.splice(0)) { h.deliver(m); h.process(); }
  run();
  const adopted = A.raft.term === T + 1 && A.raft.lead === 0;
  h.pinElectionTimeout(2, 19);

  let committedV2At: number | undefined;
  let staleReadAt: number | undefined;
  for (let t = 1600; t <= 2300; t += 100) {
    setNow(t);
    h.tick(1);
    h.tick(2);
    h.tick(3);
    run();
    if (X.raft.role === 'leader' && committedV2At === undefined) {
      const w = X.raft.propose(enc('v2'));
      assert.ok(w.ok);
      run();
      if (X.raft.log.committed >= w.index && X.applied.some((e) => dec(e.data) === 'v2')) committedV2At = t;
    }
    if (committedV2At !== undefined && committedV2At < t && staleReadAt === undefined && L.raft.role === 'leader') {
      // A client that saw v2 committed (acknowledged by leader 3) now reads from node 1.
      L.raft.readIndex('after-v2', true);
      h.process();
      const rs = L.readStates.find((r) => r.context === 'after-v2');
      if (rs && !L.applied.some((e) => dec(e.data) === 'v2')) staleReadAt = t;
    }
  }
  assert.not.ok(
    staleReadAt !== undefined,
    `stale lease read: node 2 adopted term T+1 inside its protection window (${adopted}); node 3 was elected for T+${X.raft.term - T} ` +
      `and committed v2 at ${committedV2At} ms, yet node 1 (lease until 2310 ms) served a lease read at ${staleReadAt} ms that misses it`,
  );
});

test.run();
