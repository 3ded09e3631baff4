/**
 * Paper scenarios: terms and leader election (Raft paper §5.1, §5.2, §5.4.1, Figure 2), checked
 * rule by rule on the pure core. Vote-rule tests run with CheckQuorum and PreVote off so that the
 * plain paper rules apply; the extensions have their own file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryStorage, NONE, Raft, SeededRandom, type Role } from '../../src/core/index.js';
import { Harness, isolated, lastOf, msg, storageWithLog, voters } from '../support/raft-harness.js';

const PLAIN = { checkQuorum: false, preVote: false } as const;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Node 1 of an n-voter cluster, campaigns, then receives `votes` (id -> granted) in order. */
function electionOutcome(size: number, votes: Array<[number, boolean]>): Role {
  const { h, n } = isolated(voters(...range(size)), 1, PLAIN);
  n.raft.campaign();
  h.process();
  const term = n.raft.term;
  for (const [from, granted] of votes) {
    n.raft.step(msg.voteResp(from, 1, term, !granted));
    h.process();
  }
  return n.raft.role;
}

// ---------------------------------------------------------------------------------------------
// §5.1 terms

test('§5.1: if one server’s current term is smaller than the other’s, a follower updates its current term to the larger value', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN, storageWithLog(voters(1, 2, 3), [1], { term: 3, vote: 3 }));
  n.raft.step(msg.heartbeat(2, 1, 4));
  h.process();
  assert.is(n.raft.term, 4);
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.lead, 2);
  assert.is(n.raft.vote, NONE, 'the vote of term 3 does not carry over to term 4');
  assert.equal(n.storage.hardState.term, 4, 'the new term is persisted');
});

test('§5.1: if a candidate discovers that its term is out of date, it immediately reverts to follower state', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
  n.raft.campaign();
  h.process();
  assert.is(n.raft.role, 'candidate');
  const t = n.raft.term;
  n.raft.step(msg.append(2, 1, t + 1, 0, 0));
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.term, t + 1);
  assert.is(n.raft.lead, 2);
});

test('§5.1: a pre-candidate that sees a higher term reverts to follower and adopts the term', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, { checkQuorum: false, preVote: true });
  const t = n.raft.term;
  n.raft.campaign();
  h.process();
  assert.is(n.raft.role, 'preCandidate');
  assert.is(n.raft.term, t);
  n.raft.step(msg.heartbeat(3, 1, t + 3));
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.term, t + 3);
  assert.is(n.raft.lead, 3);
});

test('§5.1: if a leader discovers that its term is out of date (from a reply), it immediately reverts to follower state', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
  n.raft.campaign();
  h.process();
  const t = n.raft.term;
  n.raft.step(msg.voteResp(2, 1, t));
  h.process();
  assert.is(n.raft.role, 'leader');
  // A follower that moved on to a later term answers the leader's append with its newer term.
  n.raft.step(msg.appendResp(3, 1, t + 4, 0, { reject: true }));
  h.process();
  assert.is(n.raft.role, 'follower');
  assert.is(n.raft.term, t + 4);
  assert.is(n.raft.lead, NONE);
  assert.is(n.raft.propose(new Uint8Array([1])).ok, false, 'a deposed leader refuses proposals');
});

test('§5.1: if a server receives a request with a stale term number, it rejects the request (AppendEntries)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, { checkQuorum: true, preVote: true }, storageWithLog(m, [1, 1], { term: 3, commit: 1 }));
  h.take();
  n.raft.step(msg.append(2, 1, 2, 2, 1, [{ index: 3, term: 2, type: 0, data: new Uint8Array() }], 3));
  h.process();
  assert.is(n.raft.log.lastIndex(), 2, 'entries of the stale request are not appended');
  assert.is(n.raft.log.committed, 1, 'commit index of the stale request is not adopted');
  assert.is(n.raft.term, 3);
  assert.is(n.raft.lead, NONE, 'the stale sender is not recognised as leader');
  const replies = h.take('appendResp');
  assert.is(replies.length, 1);
  assert.ok(replies[0]!.reject, 'the stale request is refused');
  assert.is(replies[0]!.term, 3, 'the refusal carries the current term so the stale leader steps down');
});

test('§5.1: if a server receives a request with a stale term number, it rejects the request (RequestVote)', () => {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1], { term: 3 }));
  n.raft.step(msg.vote(2, 1, 2, { lastIndex: 5, lastTerm: 2 }));
  h.process();
  assert.is(n.raft.vote, NONE);
  assert.is(n.raft.term, 3);
  assert.is(h.take('voteResp').filter((r) => !r.reject).length, 0, 'no vote is granted for a stale term');
});

// ---------------------------------------------------------------------------------------------
// §5.2 leader election

test('§5.2: to begin an election, a follower increments its current term, votes for itself and issues RequestVote RPCs to each of the other servers', () => {
  const m = voters(1, 2, 3, 4, 5);
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1, 1], { term: 1, commit: 1 }));
  let ticks = 0;
  while (n.raft.role === 'follower' && ticks < 100) {
    n.raft.tick();
    ticks++;
  }
  h.process();
  assert.ok(ticks >= 10 && ticks < 20, `campaigned after ${ticks} ticks, expected within [10, 20)`);
  assert.is(n.raft.role, 'candidate');
  assert.is(n.raft.term, 2);
  assert.is(n.raft.vote, 1);
  assert.equal(n.storage.hardState, { term: 2, vote: 1, commit: 1 });
  const reqs = h.take('vote');
  assert.equal(reqs.map((r) => r.to).sort(), [2, 3, 4, 5], 'one request to every other server, none to itself');
  for (const r of reqs) {
    assert.is(r.term, 2);
    assert.is(r.preVote, false);
    assert.is(r.lastIndex, 2);
    assert.is(r.lastTerm, 1);
  }
});

test('§5.2: leaders send periodic heartbeats (AppendEntries with no entries) to all followers', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, { ...PLAIN, heartbeatTicks: 2 });
  n.raft.campaign();
  h.process();
  const t = n.raft.term;
  n.raft.step(msg.voteResp(2, 1, t));
  h.process();
  h.take();
  h.tick(1, 1);
  assert.is(h.take('heartbeat').length, 0, 'no heartbeat before heartbeatTicks');
  h.tick(1, 1);
  const beats = h.take('heartbeat');
  assert.equal(beats.map((b) => b.to).sort(), [2, 3]);
  for (const b of beats) assert.is(b.term, t);
});

test('§5.2: a server remains in follower state as long as it receives valid RPCs from a leader', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  h.elect(1);
  const t = h.node(1).raft.term;
  for (let i = 0; i < 100; i++) {
    h.tickAll();
    h.deliverAll();
  }
  assert.is(h.node(1).raft.role, 'leader');
  assert.is(h.node(1).raft.term, t);
  assert.is(h.node(2).raft.role, 'follower');
  assert.is(h.node(3).raft.role, 'follower');
  assert.is(h.sentOf('vote').filter((v) => v.term > t).length, 0, 'no follower started an election');
});

test('§5.2: a candidate wins an election if it receives votes from a majority of the servers in the full cluster (sizes 1–6)', () => {
  const cases: Array<[number, Array<[number, boolean]>]> = [
    [1, []],
    [2, [[2, true]]],
    [3, [[2, true]]],
    [3, [[2, true], [3, true]]],
    [3, [[2, false], [3, true]]],
    [4, [[2, true], [3, true]]],
    [4, [[2, false], [3, true], [4, true]]],
    [5, [[2, true], [3, true]]],
    [5, [[2, true], [3, true], [4, true], [5, true]]],
    [5, [[2, false], [3, false], [4, true], [5, true]]],
    [6, [[2, true], [3, true], [4, true]]],
    [6, [[2, false], [3, false], [4, true], [5, true], [6, true]]],
  ];
  for (const [size, votes] of cases) {
    assert.is(electionOutcome(size, votes), 'leader', `size ${size}, votes ${JSON.stringify(votes)}`);
  }
});

test('§5.2: a candidate that a majority of the cluster refuses returns to follower state', () => {
  const cases: Array<[number, Array<[number, boolean]>]> = [
    [2, [[2, false]]],
    [3, [[2, false], [3, false]]],
    [4, [[2, false], [3, false]]],
    [4, [[2, true], [3, false], [4, false]]],
    [5, [[2, false], [3, false], [4, false]]],
    [5, [[2, true], [3, false], [4, false], [5, false]]],
    [6, [[2, false], [3, false], [4, false]]],
    [6, [[2, true], [3, true], [4, false], [5, false], [6, false]]],
  ];
  for (const [size, votes] of cases) {
    assert.is(electionOutcome(size, votes), 'follower', `size ${size}, votes ${JSON.stringify(votes)}`);
  }
});

test('§5.2: with neither a majority of votes nor of refusals (e.g. a split vote), the candidate stays candidate', () => {
  const cases: Array<[number, Array<[number, boolean]>]> = [
    [2, []],
    [3, []],
    [3, [[2, false]]],
    [4, [[2, true]]],
    [4, [[2, false]]],
    [5, [[2, true]]],
    [5, [[2, false], [3, false]]],
    [5, [[2, true], [3, false], [4, false]]],
    [6, [[2, true], [3, true]]],
    [6, [[2, false], [3, false]]],
    [6, [[2, true], [3, true], [4, false], [5, false]]],
  ];
  for (const [size, votes] of cases) {
    assert.is(electionOutcome(size, votes), 'candidate', `size ${size}, votes ${JSON.stringify(votes)}`);
  }
});

test('§5.2: once a candidate wins an election, it becomes leader and sends messages to all of the other servers to establish its authority', () => {
  const { h, n } = isolated(voters(1, 2, 3, 4, 5), 1, PLAIN);
  n.raft.campaign();
  h.process();
  h.take();
  const t = n.raft.term;
  n.raft.step(msg.voteResp(2, 1, t));
  n.raft.step(msg.voteResp(3, 1, t));
  h.process();
  assert.is(n.raft.role, 'leader');
  assert.is(n.raft.lead, 1);
  const appends = h.take('append');
  assert.equal(appends.map((a) => a.to).sort(), [2, 3, 4, 5], 'every other server hears from the new leader at once');
  for (const a of appends) assert.is(a.term, t);
});

test('§5.2: each server will vote for at most one candidate in a given term, on a first-come-first-served basis', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
  const t = n.raft.term + 1;
  const upToDate = lastOf(n);
  n.raft.step(msg.vote(2, 1, t, upToDate));
  h.process();
  n.raft.step(msg.vote(3, 1, t, upToDate));
  h.process();
  n.raft.step(msg.vote(2, 1, t, upToDate)); // a retried request from the candidate it already voted for
  h.process();
  const replies = h.take('voteResp');
  assert.equal(
    replies.map((r) => [r.to, r.reject]),
    [
      [2, false],
      [3, true],
      [2, false],
    ],
  );
  assert.is(n.raft.vote, 2);
  assert.equal(n.storage.hardState.vote, 2);
});

test('§5.2: a candidate that receives AppendEntries from a leader whose term is at least its own recognizes it and returns to follower', () => {
  for (const ahead of [0, 1]) {
    const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
    n.raft.campaign();
    h.process();
    assert.is(n.raft.role, 'candidate');
    const leaderTerm = n.raft.term + ahead;
    n.raft.step(msg.append(2, 1, leaderTerm, 0, 0));
    h.process();
    assert.is(n.raft.role, 'follower', `leader term ${leaderTerm}`);
    assert.is(n.raft.lead, 2);
    assert.is(n.raft.term, leaderTerm);
    assert.ok(h.take('appendResp').some((r) => !r.reject && r.to === 2), 'the append is accepted');
  }
});

test('§5.2: if the term in the AppendEntries is smaller than the candidate’s term, the candidate rejects it and continues in candidate state', () => {
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
  n.raft.campaign();
  h.process();
  const t = n.raft.term;
  n.raft.step(msg.append(3, 1, t - 1, 0, 0));
  h.process();
  assert.is(n.raft.role, 'candidate');
  assert.is(n.raft.term, t);
  assert.is(n.raft.lead, NONE);
});

test('§5.2: when a candidate times out without a winner (split vote), it starts a new election by incrementing its term', () => {
  const { h, n } = isolated(voters(1, 2, 3, 4), 1, PLAIN);
  n.raft.campaign();
  const t = n.raft.term;
  n.raft.step(msg.voteResp(2, 1, t));
  n.raft.step(msg.voteResp(3, 1, t, true));
  h.process();
  assert.is(n.raft.role, 'candidate');
  h.take();
  let ticks = 0;
  while (n.raft.term === t && ticks < 100) {
    n.raft.tick();
    ticks++;
  }
  h.process();
  assert.ok(ticks >= 10 && ticks < 20, `new election after ${ticks} ticks, expected within [10, 20)`);
  assert.is(n.raft.role, 'candidate');
  assert.is(n.raft.term, t + 1);
  assert.is(n.raft.vote, 1);
  assert.equal(h.take('vote').map((v) => [v.to, v.term]).sort(), [
    [2, t + 1],
    [3, t + 1],
    [4, t + 1],
  ]);
});

/** Ticks until a fresh follower (seeded) starts campaigning. */
function firstTimeout(seed: number, id = 1): number {
  const rng = new SeededRandom(seed);
  const r = new Raft({ id, random: () => rng.next(), clock: () => 0, ...PLAIN }, new MemoryStorage(voters(1, 2, 3, 4, 5)));
  let ticks = 0;
  while (r.role === 'follower') {
    r.tick();
    ticks++;
    if (ticks > 1000) throw new Error('never campaigned');
  }
  return ticks;
}

test('§5.2: election timeouts are chosen randomly from a fixed interval [electionTimeout, 2 × electionTimeout)', () => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 200; seed++) {
    const t = firstTimeout(seed);
    assert.ok(t >= 10 && t < 20, `seed ${seed}: timeout ${t} outside [10, 20)`);
    seen.add(t);
  }
  assert.ok(seen.size >= 8, `timeouts are spread over the interval (saw ${[...seen].sort((a, b) => a - b).join(',')})`);
  // A candidate's new timeout is drawn again from the same interval.
  const { h, n } = isolated(voters(1, 2, 3), 1, PLAIN);
  const retries: number[] = [];
  n.raft.campaign();
  for (let round = 0; round < 30; round++) {
    const term = n.raft.term;
    let ticks = 0;
    while (n.raft.term === term) {
      n.raft.tick();
      ticks++;
    }
    retries.push(ticks);
  }
  h.process();
  assert.ok(retries.every((t) => t >= 10 && t < 20), `candidate timeouts ${retries.join(',')}`);
  assert.ok(new Set(retries).size > 1, 'candidate timeouts are re-randomized');
});

test('§5.2: randomized timeouts spread servers out so that in most cases only a single server times out first', () => {
  const size = 5;
  const rounds = 1000;
  let conflicts = 0;
  for (let round = 0; round < rounds; round++) {
    const timeouts = range(size).map((id) => firstTimeout(round * 7919 + id * 104729 + 1, id));
    const first = Math.min(...timeouts);
    if (timeouts.filter((t) => t === first).length > 1) conflicts++;
  }
  const p = conflicts / rounds;
  assert.ok(p <= 0.3, `probability that several of ${size} servers time out at the same first tick = ${p}`);
  assert.ok(p > 0, 'conflicts are possible at all (the test measures something)');
});

// ---------------------------------------------------------------------------------------------
// §5.4.1 election restriction

/** A voter (node 1, at term 5, holding `terms`) answers a request at term 6 ending at (lastIndex, lastTerm). */
function grants(terms: number[], lastIndex: number, lastTerm: number): boolean {
  const m = voters(1, 2, 3);
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, terms, { term: 5 }));
  n.raft.step(msg.vote(2, 1, 6, { lastIndex, lastTerm }));
  h.process();
  const replies = h.take('voteResp');
  assert.is(replies.length, 1);
  const granted = !replies[0]!.reject;
  assert.is(n.raft.vote, granted ? 2 : NONE);
  return granted;
}

test('§5.4.1: if the logs have last entries with different terms, the log with the later term is more up-to-date (the voter denies an older one)', () => {
  // Candidate's last term is later: granted even when its log is shorter.
  assert.ok(grants([1, 1], 2, 2));
  assert.ok(grants([1, 1, 1, 1], 2, 2));
  assert.ok(grants([1, 2, 2, 2], 3, 3));
  // Candidate's last term is older: denied even when its log is longer.
  assert.not.ok(grants([1, 2], 2, 1));
  assert.not.ok(grants([1, 2], 5, 1));
  assert.not.ok(grants([1, 1, 3], 9, 2));
});

test('§5.4.1: if the logs end with the same term, whichever log is longer is more up-to-date (the voter denies a shorter one)', () => {
  assert.ok(grants([1, 1], 2, 1), 'equal logs are up to date');
  assert.ok(grants([1, 1], 3, 1), 'a longer log is up to date');
  assert.not.ok(grants([1, 1], 1, 1), 'a shorter log is not');
  assert.not.ok(grants([1, 2, 2], 2, 2));
  assert.ok(grants([1, 2, 2], 4, 2));
});

test('§5.4.1: a candidate cannot win an election unless its log contains all committed entries (a majority refuses it)', () => {
  const m = voters(1, 2, 3);
  const h = new Harness(m, PLAIN);
  h.add(1, storageWithLog(m, [1], { term: 1, commit: 1 }));
  h.add(2, storageWithLog(m, [1, 1], { term: 1, commit: 2 }));
  h.add(3, storageWithLog(m, [1, 1], { term: 1, commit: 2 }));
  h.node(1).raft.campaign();
  h.deliverAll();
  assert.is(h.node(1).raft.term, 2, 'node 1 did campaign');
  assert.not.equal(h.node(1).raft.role, 'leader');
  assert.is(h.leader(), undefined);
  // One of the up-to-date servers can win.
  h.node(2).raft.campaign();
  h.deliverAll();
  assert.is(h.node(2).raft.role, 'leader');
  assert.equal(h.logTerms(1).slice(0, 2), [1, 1], 'the short log is completed by the new leader');
});

// ---------------------------------------------------------------------------------------------
// Figure 2: persistent state

test('Figure 2: votedFor is on stable storage before the vote is granted — the granting Ready carries the hard state, and the reply is in messages (after the write), never earlyMessages', () => {
  const { n } = isolated(voters(1, 2, 3), 1, PLAIN);
  n.raft.step(msg.vote(2, 1, 4, lastOf(n)));
  const rd = n.raft.ready();
  assert.equal(rd.hardState, { term: 4, vote: 2, commit: n.raft.log.committed });
  assert.is(rd.earlyMessages.length, 0);
  const grants = rd.messages.filter((m) => m.type === 'voteResp' && !m.reject);
  assert.is(grants.length, 1);
  assert.is(grants[0]!.to, 2);
});

test('Figure 2: votedFor is durable before the vote leaves also when granting does not change the term — a voter that crashes during the write has granted nothing, so it cannot help elect two leaders in one term', () => {
  const m = voters(1, 2, 3);
  // Node 1 already knows term 5 (a durable term with no vote yet).
  const { h, n } = isolated(m, 1, PLAIN, storageWithLog(m, [1], { term: 5 }));
  const upToDate = lastOf(n);
  n.raft.step(msg.vote(2, 1, 5, upToDate));
  const r = h.crashDuringWrite(1);
  assert.is(r.raft.term, 5);
  assert.is(r.raft.vote, NONE, 'the vote for 2 never reached the disk');
  r.raft.step(msg.vote(3, 1, 5, upToDate));
  h.process();
  const grants = h.sentOf('voteResp', { from: 1 }).filter((v) => !v.reject && v.term === 5);
  assert.equal(grants.map((v) => v.to), [3], 'one vote in term 5, and it is the durable one');
});

test('Figure 2: a candidate’s new term and self-vote are persisted before its RequestVote RPCs leave', () => {
  const { n } = isolated(voters(1, 2, 3), 1, PLAIN);
  const t = n.raft.term;
  n.raft.campaign();
  const rd = n.raft.ready();
  assert.equal(rd.hardState, { term: t + 1, vote: 1, commit: n.raft.log.committed });
  assert.is(rd.earlyMessages.length, 0);
  assert.equal(rd.messages.filter((m) => m.type === 'vote').length, 2);
});

test('Figure 2: a server that restarts keeps currentTerm and votedFor, and will not vote for another candidate in the same term', () => {
  const h = new Harness(voters(1, 2, 3), PLAIN);
  const t = h.node(2).raft.term + 1;
  const upToDate = lastOf(h.node(2));
  h.node(2).raft.step(msg.vote(1, 2, t, upToDate));
  h.process();
  h.take();
  const r = h.restart(2);
  assert.is(r.raft.term, t);
  assert.is(r.raft.vote, 1);
  r.raft.step(msg.vote(3, 2, t, upToDate));
  h.process();
  r.raft.step(msg.vote(1, 2, t, upToDate));
  h.process();
  assert.equal(
    h.take('voteResp').map((v) => [v.to, v.reject]),
    [
      [3, true],
      [1, false],
    ],
  );
  assert.is(r.raft.vote, 1);
});

// ---------------------------------------------------------------------------------------------
// Non-voting members (thesis §4.2.1)

const learner = (id: number) => ({ id, role: 'learner' as const, promote: false, context: `n${id}` });

test('thesis §4.2.1: a non-voting member (learner) never starts an election, however long it goes without hearing from a leader', () => {
  for (const options of [PLAIN, {}]) {
    const h = new Harness([...voters(1, 2, 3), learner(4)], options);
    h.leaveQuietPeriod();
    const term = h.node(4).raft.term;
    h.tick(4, 100);
    assert.is(h.node(4).raft.role, 'follower');
    assert.is(h.node(4).raft.term, term);
    assert.is(h.sentOf('vote', { from: 4 }).length, 0, `no (pre-)vote requests with ${JSON.stringify(options)}`);
  }
});

test('thesis §4.2.1: a candidate asks only the voters for their votes, and votes from learners do not count toward its majority', () => {
  const { h, n } = isolated([...voters(1, 2, 3), learner(4), learner(5)], 1, PLAIN);
  n.raft.campaign();
  h.process();
  assert.equal(h.take('vote').map((v) => v.to).sort(), [2, 3]);
  const term = n.raft.term;
  n.raft.step(msg.voteResp(4, 1, term));
  n.raft.step(msg.voteResp(5, 1, term));
  h.process();
  assert.is(n.raft.role, 'candidate', 'itself and two learners are 3 of 5 members but 1 of 3 voters');
  n.raft.step(msg.voteResp(2, 1, term));
  h.process();
  assert.is(n.raft.role, 'leader', 'itself and voter 2 are a majority of the voters');
});

test.run();
