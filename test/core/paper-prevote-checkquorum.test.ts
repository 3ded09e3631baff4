/**
 * Paper scenarios: the election extensions of Ongaro's thesis — PreVote (§9.6), CheckQuorum
 * (§6.2) and leader stickiness against disruptive servers (§4.2.3) — and the start-up quiet period
 * that protects leases across restarts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness, isolated, lastOf, msg, storageWithLog, voters } from '../support/raft-harness.js';

const ET = 10;

// ---------------------------------------------------------------------------------------------
// PreVote (§9.6)

test('§9.6 PreVote: a server partitioned from the cluster does not increase its term however long it campaigns', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const term = h.node(3).raft.term;
  h.partition([3], [1, 2]);
  for (let i = 0; i < 10 * ET; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.is(h.node(3).raft.term, term);
  assert.is(h.node(3).storage.hardState.term, term);
  const campaigns = h.sentOf('vote', { from: 3 });
  assert.ok(campaigns.length > 0, 'the partitioned server did try to campaign');
  assert.ok(campaigns.every((v) => v.preVote), 'but only ever with pre-votes');
});

test('§9.6 PreVote: a pre-candidate increments its term only after a majority said it could win', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, { checkQuorum: false, preVote: true });
  h.process();
  const term = n.raft.term;
  n.raft.campaign();
  const rd = n.raft.ready();
  assert.is(n.raft.role, 'preCandidate');
  assert.is(n.raft.term, term);
  assert.is(rd.hardState, undefined, 'nothing to persist: neither term nor vote changed');
  const pre = rd.messages.filter((m) => m.type === 'vote');
  assert.equal(pre.map((m) => m.type === 'vote' && [m.to, m.term, m.preVote]), [
    [2, term + 1, true],
    [3, term + 1, true],
  ]);
  n.raft.advance(rd);
  n.raft.step(msg.voteResp(2, 1, term + 1, false, true));
  h.process();
  assert.is(n.raft.role, 'candidate');
  assert.is(n.raft.term, term + 1);
  assert.is(n.raft.vote, 1);
  assert.equal(h.take('vote').map((v) => [v.to, v.term, v.preVote]), [
    [2, term + 1, false],
    [3, term + 1, false],
  ]);
});

test('§9.6 PreVote: a pre-vote is refused to a server whose log is not at least as up to date', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false, preVote: true }, storageWithLog(m, [1, 2, 2], { term: 2 }));
  h.process();
  n.raft.step(msg.vote(3, 1, 3, { preVote: true, lastIndex: 2, lastTerm: 2 }));
  n.raft.step(msg.vote(2, 1, 3, { preVote: true, lastIndex: 9, lastTerm: 1 }));
  h.process();
  assert.equal(h.take('voteResp').map((r) => [r.to, r.reject, r.preVote]), [
    [3, true, true],
    [2, true, true],
  ]);
  assert.is(n.raft.term, 2, 'the refused pre-votes did not move the voter’s term');
});

test('§9.6 PreVote: granting a pre-vote changes neither the voter’s term nor its vote', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: false, preVote: true }, storageWithLog(m, [1, 2], { term: 2, vote: 2 }));
  h.process();
  n.raft.step(msg.vote(3, 1, 3, { preVote: true, ...lastOf(n) }));
  const rd = n.raft.ready();
  assert.is(rd.hardState, undefined);
  assert.equal(rd.messages.map((r) => r.type === 'voteResp' && [r.to, r.term, r.reject, r.preVote]), [[3, 3, false, true]]);
  n.raft.advance(rd);
  assert.is(n.raft.term, 2);
  assert.is(n.raft.vote, 2);
});

test('§9.6 PreVote: a server rejoining after a partition does not disrupt the leader', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  const term = h.node(1).raft.term;
  h.partition([3], [1, 2]);
  for (let i = 0; i < 5 * ET; i++) {
    h.tickAll();
    h.deliverAll();
  }
  h.heal();
  for (let i = 0; i < 5 * ET; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.is(h.node(1).raft.role, 'leader');
  assert.is(h.node(1).raft.term, term, 'the leader kept its term');
  assert.is(h.node(3).raft.role, 'follower');
  assert.is(h.node(3).raft.lead, 1, 'the rejoining server follows the leader again');
});

// ---------------------------------------------------------------------------------------------
// CheckQuorum (§6.2)

/** Ticks the leader, delivering after each tick, until it is no longer leader; returns the count. */
function ticksUntilStepDown(h: Harness, id: number, max = 10 * ET): number {
  for (let i = 1; i <= max; i++) {
    h.tickAll();
    h.deliverAll();
    if (h.node(id).raft.role !== 'leader') return i;
  }
  return Infinity;
}

test('§6.2 CheckQuorum: a leader cut off from a majority steps down within an election timeout', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.partition([1], [2, 3]);
  const ticks = ticksUntilStepDown(h, 1);
  assert.ok(ticks <= ET + 1, `stepped down after ${ticks} ticks`);
  assert.is(h.node(1).raft.role, 'follower');
});

test('§6.2 CheckQuorum: a leader steps down when an election timeout elapses without hearing from a majority, wherever the partition falls in its check window', () => {
  const late: string[] = [];
  for (let phase = 1; phase < ET; phase++) {
    const h = new Harness(voters(1, 2, 3));
    h.elect(1);
    for (let i = 0; i < phase; i++) {
      h.tickAll();
      h.deliverAll();
    }
    h.partition([1], [2, 3]);
    const ticks = ticksUntilStepDown(h, 1);
    if (ticks > ET + 1) late.push(`partitioned ${phase} ticks into the window: stepped down after ${ticks} ticks`);
  }
  assert.equal(late, [], `a leader kept leading for more than an election timeout (${ET} ticks) after losing its majority`);
});

test('§6.2 CheckQuorum: a leader that still hears from a majority stays leader', () => {
  const h = new Harness(voters(1, 2, 3, 4, 5));
  h.elect(1);
  const term = h.node(1).raft.term;
  h.partition([4, 5], [1, 2, 3]);
  assert.is(ticksUntilStepDown(h, 1, 10 * ET), Infinity);
  assert.is(h.node(1).raft.term, term);
});

// ---------------------------------------------------------------------------------------------
// Disruptive servers: leader stickiness (§4.2.3)

test('§4.2.3: a server that heard from a current leader within the minimum election timeout does not update its term or grant its vote', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  const n2 = h.node(2);
  const term = n2.raft.term;
  n2.raft.step(msg.vote(3, 2, term + 1, lastOf(n2)));
  h.process();
  assert.is(n2.raft.term, term);
  assert.is(n2.raft.lead, 1);
  assert.is(h.take('voteResp').filter((r) => r.from === 2 && !r.reject).length, 0);
});

test('§4.2.3: ... nor its pre-vote', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  const n2 = h.node(2);
  const term = n2.raft.term;
  n2.raft.step(msg.vote(3, 2, term + 1, { preVote: true, ...lastOf(n2) }));
  h.process();
  assert.is(n2.raft.term, term);
  assert.is(h.take('voteResp').filter((r) => r.from === 2 && !r.reject).length, 0);
});

test('§4.2.3: once a full election timeout passes without hearing from the leader, the server grants votes again', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  h.partition([1], [2, 3]);
  const n2 = h.node(2);
  const term = n2.raft.term;
  h.tick(2, ET);
  h.take(); // whatever node 2 started on its own is dropped
  n2.raft.step(msg.vote(3, 2, term + 1, lastOf(n2)));
  h.process();
  assert.is(n2.raft.term, term + 1);
  assert.is(n2.raft.vote, 3);
  assert.equal(h.take('voteResp').map((r) => [r.to, r.reject]), [[3, false]]);
});

test('§4.2.3: a RequestVote flagged as a leadership transfer bypasses leader stickiness', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  const n2 = h.node(2);
  const term = n2.raft.term;
  n2.raft.step(msg.vote(3, 2, term + 1, { transfer: true, ...lastOf(n2) }));
  h.process();
  assert.is(n2.raft.term, term + 1);
  assert.equal(h.take('voteResp').map((r) => [r.to, r.reject]), [[3, false]]);
});

test('CheckQuorum: a restarted server ignores vote requests for one election timeout after start-up (it may have acknowledged a lease it no longer remembers)', () => {
  const h = new Harness(voters(1, 2, 3));
  h.elect(1);
  h.tickAll();
  h.deliverAll();
  h.partition([1], [2, 3]);
  const n2 = h.restart(2);
  const term = n2.raft.term;
  n2.raft.step(msg.vote(3, 2, term + 1, lastOf(n2)));
  h.process();
  assert.is(n2.raft.term, term, 'ignored right after the restart');
  assert.is(h.take('voteResp').length, 0);
  h.tick(2, ET);
  h.take();
  n2.raft.step(msg.vote(3, 2, term + 1, lastOf(n2)));
  h.process();
  assert.is(n2.raft.term, term + 1);
  assert.equal(h.take('voteResp').map((r) => [r.to, r.reject]), [[3, false]], 'granted after an election timeout');
});

test.run();
