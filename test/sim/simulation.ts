/**
 * Deterministic simulation of a whole cluster: one seed fixes everything (cluster size, faults,
 * latencies, clock skew, client operations), so a failing seed reproduces exactly.
 *
 * Phases: a fault phase with message loss, duplication, reordering, (asymmetric) partitions,
 * crashes that lose unpersisted writes, restarts, snapshots with compaction, membership changes
 * and leader transfers while clients write and read; then (in most profiles) a degraded phase in
 * which the leader can send but not receive and the rest of the cluster must still make progress;
 * then a heal phase that must converge. Safety invariants are checked at every state change; the
 * client history is checked for linearizability at the end.
 *
 * Each seed runs one fault profile (see SimProfile), chosen from the seed by a random source of
 * its own, so the `classic` profile draws exactly the random numbers it always did and old
 * failing seeds replay the same schedule under `profile: 'classic'`.
 */
import { EntryType, SeededRandom, findMember, isVoter, voterIds, type Entry, type Membership, type Message, type NodeId } from '../../src/core/index.js';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { encodeCommand, type KvCommand } from './kv-machine.js';
import { SimNetwork } from './network.js';
import { SimNode, type NodeEvents } from './sim-node.js';

/**
 * What a seed stresses.
 * - classic: the original mix of every fault at moderate rates.
 * - durability: slow disks and fast networks, crashes aimed at nodes in the middle of a write, so
 *   every promise made before a write is durable gets tested by losing that write.
 * - lease: lease and ReadIndex reads while established leaders stall (a long GC pause, one to
 *   three election timeouts) or are cut off, with clock rates as far apart as the lease's drift
 *   margin allows, and clients that give up on a silent node quickly and read elsewhere.
 * - churn: Figure 8 material: one entry per append, slow lossy links, leaders crashed soon after
 *   they are elected or right after their own append is durable, isolated leaders that keep
 *   accepting proposals, quick restarts.
 * - members: a 7-node pool with learners that stay learners and frequent membership changes.
 * All but classic end the fault phase with the degraded phase (see degradedPhase).
 */
export type SimProfile = 'classic' | 'durability' | 'lease' | 'churn' | 'members';

export const SIM_PROFILES: readonly SimProfile[] = ['classic', 'durability', 'lease', 'churn', 'members'];

/** The profile a seed runs when none is given: drawn from the seed by its own random source. */
export function profileForSeed(seed: number): SimProfile {
  const r = new SeededRandom((seed ^ 0x5bd1e995) >>> 0).next();
  if (r < 0.25) return 'classic';
  if (r < 0.4) return 'durability';
  if (r < 0.6) return 'lease';
  if (r < 0.85) return 'churn';
  return 'members';
}

export interface SimOptions {
  seed: number;
  /** Fault profile; by default drawn from the seed (profileForSeed). */
  profile?: SimProfile;
  /** Simulated milliseconds of the fault phase (default 3000; 6000 for the lease and churn profiles). */
  faultMs?: number;
  /** Simulated milliseconds allowed for convergence after healing. */
  healMs?: number;
  /** Print a trace line per fault. */
  verbose?: boolean;
  /**
   * Even-numbered nodes drive their core like the real Node does: light Readys (apply, reads,
   * leader traffic) while a full Ready's write is in flight. Default true; regression seeds that
   * must replay an old schedule pass false.
   */
  pipelined?: boolean;
  /**
   * Single-link cuts (mostly the leader's link to one follower: that follower stops hearing the
   * leader while the others still do, the window lease protection must cover, which partitions of
   * whole groups never opened) and a long tail of message delays (2 % of messages 20–320 ms late).
   * Drawn from random sources of their own. Default true except in the classic profile; regression
   * seeds that must replay an old schedule pass false.
   */
  linkFaults?: boolean;
  /**
   * Storage as weak as the real WAL (wal-faithful-storage.ts): lazy commit index, a write's
   * truncation, roll and record as separate crash points, snapshot install and compaction in
   * steps, the log kept back to the previous snapshot. Drawn from random sources of their own.
   * Default true; regression seeds that must replay an old schedule pass false.
   */
  walFaithful?: boolean;
  /**
   * Nodes announce themselves to their configuration's members every two election timeouts, as
   * the real driver does, and a member tells one outside its configuration so. Default true;
   * regression seeds that must replay an old schedule pass false.
   */
  announce?: boolean;
}

export interface SimResult {
  seed: number;
  profile: SimProfile;
  ok: boolean;
  error?: string;
  nodes: number;
  stats: Record<string, number>;
  historyJsonl?: string;
}

class InvariantViolation extends Error {}

const KEYS = ['a', 'b', 'c'];
const TICK_MS = 10;
const ELECTION_TICKS = 10;
const OP_TIMEOUT_MS = 1500;
/** Lease drift margin of the core (RaftOptions.leaseDriftMargin default): clocks may differ in rate by up to 1 / (1 − margin). */
const LEASE_DRIFT_MARGIN = 0.1;

/** A strict majority of n (computed here, not taken from the core under test). */
const majority = (n: number): number => Math.floor(n / 2) + 1;

interface ClientOp {
  process: number;
  f: 'read' | 'write' | 'append' | 'delete' | 'cas';
  key: string;
  node: NodeId;
  startedAt: number;
  /** For writes: where the proposal sits. */
  index?: number;
  term?: number;
  context?: string;
  /** For reads: the highest index known committed anywhere when the read was invoked. */
  committedAtInvoke?: number;
}

export function runSimulation(opts: SimOptions): SimResult {
  const rng = new SeededRandom(opts.seed);
  const profile = opts.profile ?? profileForSeed(opts.seed);
  // Everything a non-classic profile adds draws from this source, so `classic` keeps its schedule.
  const frng = new SeededRandom((opts.seed * 2654435761 + 97) >>> 0);
  // The profiles whose failures need a long chain of events get a longer fault phase.
  const faultMs = opts.faultMs ?? (profile === 'lease' || profile === 'churn' ? 6000 : 3000);
  const healMs = opts.healMs ?? 8000;
  const stats: Record<string, number> = {
    crashes: 0, restarts: 0, partitions: 0, snapshots: 0, confChanges: 0, transfers: 0,
    writesOk: 0, writesFailed: 0, writesUnknown: 0, readsOk: 0, readsFailed: 0, leaders: 0,
  };
  // Called as trace?.(...): without --verbose the line is not even built.
  const trace = opts.verbose ? (line: string): void => console.log(`[${now}] ${line}`) : undefined;

  // Cluster shape: 3..5 initial voters, up to 7 nodes with spares that may join.
  let initialVoters = 3 + rng.int(3);
  let total = Math.min(7, initialVoters + rng.int(3));
  const netRng = new SeededRandom(rng.int(2 ** 31));
  const linkRng = new SeededRandom((opts.seed * 40503 + 7) >>> 0);
  const faults = {
    dropRate: rng.pick([0, 0.01, 0.05, 0.1]),
    duplicateRate: rng.pick([0, 0.01, 0.05]),
    minLatencyMs: 1,
    maxLatencyMs: rng.pick([2, 5, 15]),
  };
  let maxPersistDelayMs = rng.pick([0, 1, 3, 8]);
  // Fault intensity differs per seed: some runs are calm, some are storms.
  let crashRate = rng.pick([0.0005, 0.002, 0.006]);
  let partitionRate = rng.pick([0.0005, 0.001, 0.004]);
  let clientRate = rng.pick([0.01, 0.03, 0.08]);
  let lease = rng.chance(0.5);
  // Knobs of the other profiles (classic values by default).
  let maxEntriesPerMessage = 8;
  let confChangeRate = 0.0015;
  let addVoterShare = 0.7;
  let skew = 0.04; // ±4% clock rates, inside the 10% lease margin
  let extraRestartRate = 0;
  let midWriteCrashRate = 0;
  let newLeaderCrashChance = 0;
  let crashAfterAppendChance = 0;
  let pauseRate = 0;
  let isolateLeaderRate = 0;
  let degradedStage = false;
  /** Clients give up on a read after this long (an unknown outcome, which constrains nothing). */
  let readTimeoutMs = OP_TIMEOUT_MS;
  let leaseReadShare = 0.5;
  let extraClients = 0;
  switch (profile) {
    case 'classic':
      break;
    case 'durability':
      faults.maxLatencyMs = frng.pick([2, 3, 5]);
      faults.dropRate = frng.pick([0, 0.01, 0.05]);
      maxPersistDelayMs = frng.pick([6, 12, 25]);
      maxEntriesPerMessage = frng.pick([1, 2, 8]);
      midWriteCrashRate = frng.pick([0.002, 0.005, 0.01]);
      extraRestartRate = 0.01;
      clientRate = frng.pick([0.03, 0.08]);
      degradedStage = true;
      break;
    case 'lease':
      initialVoters = frng.pick([3, 3, 5]);
      total = initialVoters;
      lease = true;
      // Rates as far apart as the lease allows: fastest / slowest < 1 / (1 − margin).
      skew = frng.pick([0.03, 0.05]);
      crashRate = 0.0005;
      partitionRate = 0.0005;
      pauseRate = frng.pick([0.002, 0.004]);
      isolateLeaderRate = frng.pick([0.0005, 0.001]);
      faults.maxLatencyMs = frng.pick([2, 5]);
      clientRate = frng.pick([0.03, 0.08]);
      extraRestartRate = 0.005;
      degradedStage = true;
      // Clients do not wait long on a leader that stopped answering; they try elsewhere.
      readTimeoutMs = 100;
      leaseReadShare = 0.7;
      extraClients = 4;
      break;
    case 'churn':
      initialVoters = frng.pick([3, 3, 5]);
      total = initialVoters;
      maxEntriesPerMessage = 1;
      faults.dropRate = frng.pick([0.1, 0.2]);
      faults.maxLatencyMs = frng.pick([5, 15]);
      crashRate = frng.pick([0.002, 0.006]);
      extraRestartRate = 0.01;
      newLeaderCrashChance = frng.pick([0.4, 0.6]);
      crashAfterAppendChance = frng.pick([0.02, 0.05]);
      // An isolated leader keeps accepting proposals it cannot replicate: entries of its term
      // that only it holds, for a later leader to find (or overwrite).
      isolateLeaderRate = frng.pick([0.001, 0.003]);
      midWriteCrashRate = frng.pick([0, 0.003]);
      partitionRate = frng.pick([0.001, 0.004]);
      clientRate = frng.pick([0.03, 0.08]);
      degradedStage = true;
      break;
    case 'members':
      initialVoters = 3;
      total = 7;
      confChangeRate = 0.006;
      addVoterShare = 0.4;
      extraRestartRate = 0.005;
      degradedStage = true;
      break;
  }
  const ids: NodeId[] = Array.from({ length: total }, (_, i) => i + 1);
  const bootstrap: Membership = ids.slice(0, initialVoters).map((id) => ({ id, role: 'voter' as const, promote: false, context: `n${id}` }));
  const linkFaults = opts.linkFaults ?? profile !== 'classic';
  const walFaithful = opts.walFaithful ?? true;
  const walRng = new SeededRandom((opts.seed * 69069 + 12345) >>> 0);
  const net = new SimNetwork(netRng, linkFaults ? { ...faults, tailRate: 0.02 } : faults, linkFaults ? new SeededRandom(linkRng.int(2 ** 31)) : undefined);
  stats[`profile:${profile}`] = 1;

  let now = 0;
  const leadersByTerm = new Map<number, NodeId>();
  /** (index:term) -> data and previous term, for the log matching property. */
  const logEntries = new Map<string, { data: string; prevTerm: number | undefined }>();
  /** index -> "term:type:data" of the entry applied there, for state machine safety. */
  const appliedAt = new Map<number, string>();
  let maxApplied = 0;
  const history = new HistoryRecorder();
  const ops = new Map<number, ClientOp>(); // by process
  let nextProcess = 1;
  const clients: number[] = Array.from({ length: 3 + rng.int(6) + extraClients }, () => nextProcess++);
  let readSeq = 0;
  /** Granted (real) votes seen on the wire: "term:candidate" -> voters. */
  const grants = new Map<string, Set<NodeId>>();
  /** index -> the entry's term and the term of the leader that first committed it. */
  const commits = new Map<number, { entryTerm: number; commitTerm: number }>();
  let maxCommitRecorded = 0;
  /** Crashes scheduled by the churn profile: node -> when, and the stat that counts it. */
  const scheduledCrashes = new Map<NodeId, { at: number; kind: 'newLeaderCrashes' | 'crashesAfterAppend' }>();

  const check = (cond: boolean, message: string): void => {
    if (!cond) throw new InvariantViolation(message);
  };
  const entryKey = (e: Entry): string => `${e.term}:${e.type}:${Buffer.from(e.data).toString('base64')}`;

  const finishOp = (op: ClientOp, outcome: 'ok' | 'fail' | 'info', value?: string | null): void => {
    trace?.(`client ${op.process}: ${op.f} ${op.key} via ${op.node} -> ${outcome}${op.f === 'read' && outcome === 'ok' ? ` ${JSON.stringify(value)}` : ''}`);
    if (outcome === 'ok') history.ok(op.process, op.f === 'read' ? value ?? null : undefined);
    else if (outcome === 'fail') history.fail(op.process);
    else history.info(op.process);
    ops.delete(op.process);
    const slot = clients.indexOf(op.process);
    // After an unknown outcome a client continues under a new process id.
    if (outcome === 'info' && slot >= 0) clients[slot] = nextProcess++;
    if (op.f === 'read') stats[outcome === 'ok' ? 'readsOk' : 'readsFailed']!++;
    else stats[outcome === 'ok' ? 'writesOk' : outcome === 'fail' ? 'writesFailed' : 'writesUnknown']!++;
  };

  /**
   * Durability before promises (Figure 2: "updated on stable storage before responding to RPCs"):
   * a granted vote leaves only once that vote is durable; an append acknowledgement only once the
   * entries it acknowledges are.
   */
  const checkPromise = (m: Message): void => {
    const sender = nodes.get(m.from);
    if (!sender) return;
    const s = sender.storage;
    // Every message but pre-vote traffic (which names a term it does not claim) speaks for a
    // term the sender holds durably: after a crash it must not act in an earlier term.
    const preVoteTraffic = (m.type === 'vote' || m.type === 'voteResp') && m.preVote;
    // Crashes here lose only writes not yet durable, never acknowledged ones: no node may find
    // that it lost entries it acknowledged (Raft.lostLog: a driver stops such a node).
    const lost = sender.raft?.lostLog();
    check(lost === undefined, `lost log: node ${m.from} was told by ${lost?.leader} (term ${lost?.term}) that entries up to ${lost?.commit} it acknowledged are committed, but its log ends at ${lost?.lastIndex}`);
    check(preVoteTraffic || s.hardState.term >= m.term, `durability: node ${m.from} sent a ${m.type} of term ${m.term} with only term ${s.hardState.term} durable`);
    if (m.type === 'voteResp' && !m.reject && !m.preVote) {
      // (A durable later term also keeps the promise: the node can never vote in m.term again.)
      check(s.hardState.term > m.term || (s.hardState.term === m.term && s.hardState.vote === m.to), `durability: node ${m.from} granted its vote to ${m.to} for term ${m.term} before persisting it (durable term ${s.hardState.term}, vote ${s.hardState.vote})`);
      const k = `${m.term}:${m.to}`;
      let set = grants.get(k);
      if (!set) grants.set(k, (set = new Set()));
      set.add(m.from);
    } else if (m.type === 'appendResp' && !m.reject) {
      check(s.hardState.term > m.term || Math.max(s.lastIndex(), s.snapshot().index) >= m.index, `durability: node ${m.from} acknowledged index ${m.index} to ${m.to} with only ${s.lastIndex()} durable`);
    }
  };

  /** A log's last entry, for the election restriction's "at least as up to date" (§5.4.1). */
  type LogEnd = { lastIndex: number; lastTerm: number };
  const atLeastAsUpToDate = (a: LogEnd, b: LogEnd): boolean => a.lastTerm > b.lastTerm || (a.lastTerm === b.lastTerm && a.lastIndex >= b.lastIndex);
  const durableEnd = (n: SimNode): LogEnd => ({ lastIndex: n.storage.lastIndex(), lastTerm: n.storage.term(n.storage.lastIndex()) ?? 0 });

  /** Checks a leader's decision that `index` is committed, at the moment it makes it. */
  const checkCommit = (leader: SimNode, index: number): void => {
    const raft = leader.raft!;
    const term = raft.log.term(index);
    const voters = voterIds(raft.membership.current());
    // Committed means durable on a majority of the voters (thesis §10.2.1), the leader included
    // only once its own write is done.
    const holders = voters.filter((v) => {
      const s = nodes.get(v)!.storage;
      if (s.snapshot().index >= index) return true;
      return s.lastIndex() >= index && (term === undefined || s.term(index) === term);
    });
    check(holders.length >= majority(voters.length), `commit durability: leader ${leader.id} of term ${raft.term} committed ${index} while only [${holders.join(',')}] of voters [${voters.join(',')}] have it on disk`);
    if (term === undefined) return;
    // And no node that lacks it can win an election (the election restriction, §5.4.1–5.4.3): a
    // majority of voters, judged by their durable logs (what they would have after a crash), hold
    // logs more up to date than that node's log, durable or in memory. Figure 8 (c) breaks this
    // when an entry of an earlier term is committed by counting replicas.
    for (const x of nodes.values()) {
      const views: Array<LogEnd & { has: boolean }> = [{ ...durableEnd(x), has: x.storage.snapshot().index >= index || x.storage.term(index) === term }];
      if (x.raft) {
        const log = x.raft.log;
        views.push({ lastIndex: log.lastIndex(), lastTerm: log.lastTerm(), has: log.firstIndex() > index || log.term(index) === term });
      }
      for (const v of views) {
        if (v.has) continue;
        const grantors = voters.filter((id) => id === x.id || atLeastAsUpToDate(v, durableEnd(nodes.get(id)!)));
        check(grantors.length < majority(voters.length), `commit safety: leader ${leader.id} of term ${raft.term} committed ${index} (term ${term}), yet node ${x.id}, whose log lacks it (last ${v.lastIndex}/${v.lastTerm}), can be elected by voters [${grantors.join(',')}] of [${voters.join(',')}]`);
      }
    }
  };

  /**
   * Election safety (Figure 3): at most one leader per term. A leadership counts once the
   * leader's term is durable: a sole voter elects itself in the step that starts its campaign,
   * and if it crashes before that write lands it never led (it sent nothing of that term — see
   * checkPromise) and may rightly vote for another node in the same term after restarting.
   */
  const recordLeadership = (node: SimNode): void => {
    const term = node.raft!.term;
    if (node.storage.hardState.term !== term) return;
    const prev = leadersByTerm.get(term);
    check(prev === undefined || prev === node.id, `election safety: nodes ${prev} and ${node.id} both lead term ${term}`);
    leadersByTerm.set(term, node.id);
  };

  const events: NodeEvents = {
    count: (stat) => {
      stats[stat] = (stats[stat] ?? 0) + 1;
    },
    send: (t, m) => {
      checkPromise(m);
      net.send(t, m);
    },
    persisted: (node, e, prevTerm) => {
      const k = `${e.index}:${e.term}`;
      const seen = logEntries.get(k);
      const data = entryKey(e);
      if (!seen) logEntries.set(k, { data, prevTerm });
      else {
        check(seen.data === data, `log matching: node ${node.id} holds a different entry at index ${e.index} term ${e.term}`);
        if (prevTerm !== undefined && seen.prevTerm !== undefined) {
          check(seen.prevTerm === prevTerm, `log matching: node ${node.id} entry ${e.index}/${e.term} follows term ${prevTerm}, elsewhere ${seen.prevTerm}`);
        }
      }
    },
    applied: (node, e, casMatched) => {
      const k = entryKey(e);
      const prev = appliedAt.get(e.index);
      if (prev === undefined) appliedAt.set(e.index, k);
      else check(prev === k, `state machine safety: node ${node.id} applied a different entry at ${e.index}`);
      maxApplied = Math.max(maxApplied, e.index);
      // Resolve the client write proposed through this node at this index.
      for (const op of ops.values()) {
        if (op.node !== node.id || op.index !== e.index) continue;
        // Another entry won this index: ours never commits. A cas "fail" would claim its comparison
        // failed, so a cas that never happened is reported as unknown instead.
        if (op.term !== e.term) finishOp(op, op.f === 'cas' ? 'info' : 'fail');
        else if (op.f === 'cas' && !casMatched) finishOp(op, 'fail');
        else finishOp(op, 'ok');
      }
    },
    readIndexed: (node, context, index) => {
      // A linearizable read must be answered at an index at least as high as anything committed
      // before it was invoked: caught stale reads the history alone shows only if a client saw
      // the newer write acknowledged first.
      for (const op of ops.values()) {
        if (op.context !== context || op.node !== node.id) continue;
        check(
          index >= (op.committedAtInvoke ?? 0),
          `read ${context} via ${node.id} (${node.raft?.role} t${node.raft?.term}) confirmed at index ${index}, but index ${op.committedAtInvoke} was committed before it was invoked`,
        );
      }
    },
    leaseRead: (node) => {
      // A lease is a promise that no other leader is elected before it runs out (its voters
      // refuse votes until then): a leader of a later term elected before this read breaks it,
      // whether or not a write ever shows the read stale.
      let latest = 0;
      for (const term of leadersByTerm.keys()) latest = Math.max(latest, term);
      stats.leaseReadsChecked = (stats.leaseReadsChecked ?? 0) + 1;
      check(latest <= node.raft!.term, `lease: node ${node.id} served a lease read in term ${node.raft!.term} after node ${leadersByTerm.get(latest)} was elected leader of term ${latest}`);
    },
    readDone: (node, context, value) => {
      for (const op of ops.values()) {
        if (op.context !== context || op.node !== node.id) continue;
        if (value === undefined) finishOp(op, 'fail');
        else finishOp(op, 'ok', value);
      }
    },
    becameLeader: (node) => {
      const raft = node.raft!;
      stats.leaders!++;
      recordLeadership(node);
      // Elected by a majority of the voters of its configuration (a learner's vote counts for nothing).
      const members = raft.membership.current();
      const me = findMember(members, node.id);
      check(me === undefined || me.role === 'voter', `learners: learner ${node.id} became leader of term ${raft.term}`);
      const votedFor = grants.get(`${raft.term}:${node.id}`) ?? new Set<NodeId>();
      const electors = voterIds(members).filter((v) => (v === node.id ? me !== undefined : votedFor.has(v)));
      check(electors.length >= majority(voterIds(members).length), `election quorum: node ${node.id} leads term ${raft.term} with votes of voters [${electors.join(',')}] of [${voterIds(members).join(',')}]`);
      if (frng.chance(newLeaderCrashChance)) scheduledCrashes.set(node.id, { at: now + 1 + frng.int(25), kind: 'newLeaderCrashes' });
      // Leader completeness (§5.4): every entry committed in an earlier term is in the new
      // leader's log. (A leader of a stale term, elected late by delayed votes, need not hold
      // what later terms committed; it cannot commit anything itself.)
      const first = raft.log.firstIndex();
      for (let i = first; i <= maxApplied; i++) {
        const k = appliedAt.get(i);
        if (k === undefined) continue;
        const committedIn = commits.get(i)?.commitTerm;
        if (committedIn !== undefined && committedIn >= raft.term) continue;
        const t = raft.log.term(i);
        check(t !== undefined && k.startsWith(`${t}:`), `leader completeness: leader ${node.id} of term ${raft.term} lacks committed entry ${i} (has term ${t})`);
      }
      // The same for entries a leader committed that nobody has applied yet.
      for (let i = Math.max(first, maxApplied + 1); i <= maxCommitRecorded; i++) {
        const c = commits.get(i)!;
        if (c.commitTerm >= raft.term) continue;
        const t = raft.log.term(i);
        check(t === c.entryTerm, `leader completeness: leader ${node.id} of term ${raft.term} lacks entry ${i} of term ${c.entryTerm} committed in term ${c.commitTerm} (has term ${t})`);
      }
      trace?.(`node ${node.id} leads term ${raft.term}`);
    },
    wrote: (node, entries) => {
      if (node.raft?.role === 'leader') recordLeadership(node);
      // Churn: a leader crashed right after its own append became durable, before (all) its
      // followers have it — the first step of Figure 8.
      if (entries > 0 && node.raft?.role === 'leader' && frng.chance(crashAfterAppendChance)) scheduledCrashes.set(node.id, { at: now + frng.int(4), kind: 'crashesAfterAppend' });
    },
    campaigned: (node) => {
      const me = findMember(node.raft!.membership.current(), node.id);
      check(me === undefined || me.role === 'voter', `learners: learner ${node.id} started an election (${node.raft!.role})`);
    },
    leaderCommitted: (node, index) => {
      checkCommit(node, index);
      const raft = node.raft!;
      for (let i = maxCommitRecorded + 1; i <= index; i++) commits.set(i, { entryTerm: raft.log.term(i) ?? -1, commitTerm: raft.term });
      maxCommitRecorded = Math.max(maxCommitRecorded, index);
    },
    check,
  };

  const nodes = new Map<NodeId, SimNode>();
  // Clock rates within ±skew; the lease tolerates (1 + skew) / (1 − skew) < 1 / (1 − margin).
  if ((1 + skew) / (1 - skew) >= 1 / (1 - LEASE_DRIFT_MARGIN)) throw new Error(`clock skew ${skew} exceeds the lease drift margin`);
  for (const id of ids) {
    let rate = 1 + (rng.next() * 2 - 1) * skew;
    // Lease profile: clocks at the extremes, so some pairs differ by the most the lease allows.
    if (profile === 'lease') rate = 1 + (frng.chance(0.5) ? skew : -skew);
    nodes.set(
      id,
      new SimNode(
        id,
        id <= initialVoters ? bootstrap : [],
        { tickMs: TICK_MS, electionTicks: ELECTION_TICKS, heartbeatTicks: 2, snapshotChunkBytes: 16 + rng.int(64), maxInflightMessages: 4, maxEntriesPerMessage, leaseDriftMargin: LEASE_DRIFT_MARGIN, logger: opts.verbose ? (l) => console.log(`[${now}] ${l}`) : undefined },
        rate,
        new SeededRandom(rng.int(2 ** 31)),
        events,
        maxPersistDelayMs,
        0,
        opts.pipelined !== false && id % 2 === 0,
        walFaithful
          ? { rng: new SeededRandom(walRng.int(2 ** 31)), segmentEntries: walRng.pick([2, 5, 16, 64]), trailing: walRng.pick([0, 0, 3, 10]), keepFallback: walRng.chance(0.5) }
          : undefined,
        opts.announce === false ? 0 : 2 * ELECTION_TICKS,
      ),
    );
  }

  const currentLeader = (): SimNode | undefined => {
    let best: SimNode | undefined;
    for (const n of nodes.values()) {
      if (n.raft?.role === 'leader' && (!best || n.raft.term > best.raft!.term)) best = n;
    }
    return best;
  };

  const deliverDue = (): void => {
    for (const m of net.due(now)) {
      const target = nodes.get(m.to);
      if (!target) continue;
      target.deliver(now, fillSnapshotChunk(m, nodes));
    }
  };

  const issueClientOps = (): void => {
    for (const process of clients) {
      if (ops.has(process) || !rng.chance(clientRate)) continue;
      const leader = currentLeader();
      const live = [...nodes.values()].filter((n) => n.alive);
      if (live.length === 0) return;
      // Clients go to the newest leader, to any node that believes it leads (a deposed leader
      // must not serve stale reads or acknowledge lost writes), or to any node.
      const believers = live.filter((n) => n.raft!.role === 'leader');
      const dice = rng.next();
      const node = leader && dice < 0.4 ? leader : believers.length && dice < 0.75 ? rng.pick(believers) : rng.pick(live);
      const key = rng.pick(KEYS);
      const kind = rng.pick(['read', 'read', 'write', 'append', 'cas', 'delete'] as const);
      const op: ClientOp = { process, f: kind, key, node: node.id, startedAt: now };
      if (kind === 'read') {
        op.context = `r${++readSeq}`;
        op.committedAtInvoke = maxCommitRecorded;
        history.invoke(process, 'read', key);
        ops.set(process, op);
        const viaLease = lease && rng.chance(leaseReadShare);
        trace?.(`client ${process}: read ${key} via ${node.id}${viaLease ? ' (lease)' : ''}`);
        node.read(now, op.context, key, viaLease);
        if (viaLease) stats.leaseReads = (stats.leaseReads ?? 0) + 1;
        continue;
      }
      const value = `p${process}v${now}`;
      let cmd: KvCommand;
      let record: () => void;
      if (kind === 'write') {
        cmd = { op: 'put', key, value };
        record = () => history.invoke(process, 'write', key, value);
      } else if (kind === 'append') {
        cmd = { op: 'append', key, value };
        record = () => history.invoke(process, 'append', key, value);
      } else if (kind === 'delete') {
        cmd = { op: 'delete', key };
        record = () => history.invoke(process, 'delete', key);
      } else {
        const expect = rng.chance(0.3) ? null : rng.chance(0.5) ? (node.machine.data.get(key) ?? null) : `p${rng.int(5)}`;
        cmd = { op: 'cas', key, expect, value };
        record = () => history.invoke(process, 'cas', key, [expect, value]);
      }
      // A refused proposal never reached the log: the client did nothing, so nothing is recorded.
      // An accepted one has no visible effect before it commits, so recording the invoke right
      // after the synchronous propose keeps real-time order.
      const r = node.propose(now, encodeCommand(cmd));
      if (!r || !r.ok) {
        stats.writesRefused = (stats.writesRefused ?? 0) + 1;
        continue;
      }
      record();
      trace?.(`client ${process}: ${kind} ${key} via ${node.id} at ${r.index}/${r.term}`);
      op.index = r.index;
      op.term = r.term;
      ops.set(process, op);
    }
  };

  const expireOps = (): void => {
    for (const op of [...ops.values()]) {
      const node = nodes.get(op.node)!;
      const timeout = op.f === 'read' ? readTimeoutMs : OP_TIMEOUT_MS;
      if (now - op.startedAt > timeout || !node.alive) finishOp(op, 'info');
    }
  };

  const injectFaults = (): void => {
    const all = [...nodes.values()];
    if (rng.chance(crashRate)) {
      const live = all.filter((n) => n.alive);
      if (live.length) {
        const victim = rng.pick(live);
        victim.crash();
        stats.crashes!++;
        trace?.(`crash ${victim.id}`);
      }
    }
    if (rng.chance(crashRate * 2)) {
      const dead = all.filter((n) => !n.alive);
      if (dead.length) {
        const n = rng.pick(dead);
        n.start(now);
        stats.restarts!++;
        trace?.(`restart ${n.id}`);
      }
    }
    if (rng.chance(partitionRate)) {
      net.heal();
      const group = ids.filter(() => rng.chance(0.4));
      if (group.length && group.length < ids.length) {
        const oneWay = rng.chance(0.3);
        net.partition(group, ids, oneWay);
        if (oneWay) stats.oneWayPartitions = (stats.oneWayPartitions ?? 0) + 1;
        stats.partitions!++;
        trace?.(`partition ${group.join(',')}${oneWay ? ' (outbound only)' : ''}`);
      }
    }
    if (net.hasCuts() && rng.chance(0.002)) {
      net.heal();
      trace?.('heal');
    }
    if (rng.chance(0.002)) {
      const n = rng.pick(all);
      if (n.alive) {
        n.takeSnapshot();
        stats.snapshots!++;
      }
    }
    const leader = currentLeader();
    if (leader && rng.chance(confChangeRate)) {
      const members = leader.raft!.membership.current();
      const inConfig = new Set(members.map((m) => m.id));
      const outside = ids.filter((id) => !inConfig.has(id));
      let r;
      if (outside.length && (members.length <= 3 || rng.chance(0.5))) {
        const id = rng.pick(outside);
        r = leader.raft!.proposeConfChange({ type: rng.chance(addVoterShare) ? 'addVoter' : 'addLearner', id, context: `n${id}` });
      } else if (members.length > 3) {
        const id = rng.pick(members).id;
        r = leader.raft!.proposeConfChange({ type: 'remove', id });
      }
      if (r?.ok) {
        stats.confChanges!++;
        trace?.(`conf change at ${r.index}`);
      }
    }
    if (leader && rng.chance(0.0008)) {
      const target = rng.pick(voterIds(leader.raft!.membership.current()));
      if (leader.raft!.transferLeader(target).ok) stats.transfers!++;
    }
    injectProfileFaults(leader);
    if (linkFaults && linkRng.chance(0.002)) {
      // Mostly the leader's link to one follower, one way or both (see SimOptions.linkFaults).
      const l = currentLeader();
      const from = l && linkRng.chance(0.6) ? l.id : linkRng.pick(ids);
      const to = linkRng.pick(ids.filter((i) => i !== from));
      net.cutLink(from, to);
      const both = linkRng.chance(0.5);
      if (both) net.cutLink(to, from);
      stats.linkCuts = (stats.linkCuts ?? 0) + 1;
      trace?.(`cut link ${from}->${to}${both ? ' (both ways)' : ''}`);
    }
  };

  const crash = (n: SimNode, why: string): void => {
    n.crash();
    scheduledCrashes.delete(n.id);
    stats.crashes!++;
    trace?.(`crash ${n.id} (${why})`);
  };

  /** Faults of the non-classic profiles; they draw from frng only. */
  const injectProfileFaults = (leader: SimNode | undefined): void => {
    const all = [...nodes.values()];
    for (const [id, { at, kind }] of scheduledCrashes) {
      const n = nodes.get(id)!;
      if (at > now) continue;
      if (n.alive) {
        stats[kind] = (stats[kind] ?? 0) + 1;
        crash(n, kind === 'newLeaderCrashes' ? 'soon after its election' : 'right after its append became durable');
      }
      scheduledCrashes.delete(id);
    }
    if (frng.chance(midWriteCrashRate)) {
      const writing = all.filter((n) => n.writing);
      if (writing.length) {
        const victim = leader?.writing && frng.chance(0.5) ? leader : frng.pick(writing);
        stats.midWriteCrashes = (stats.midWriteCrashes ?? 0) + 1;
        crash(victim, 'in the middle of a write');
      }
    }
    if (frng.chance(extraRestartRate)) {
      const dead = all.filter((n) => !n.alive);
      if (dead.length) {
        const n = frng.pick(dead);
        n.start(now);
        stats.restarts!++;
        trace?.(`restart ${n.id}`);
      }
    }
    // One pause at a time, mostly of a leader that is serving.
    if (frng.chance(pauseRate) && leader?.running && all.every((n) => !n.alive || n.running)) {
      const victim = frng.chance(0.9) ? leader : frng.pick(all.filter((n) => n.running));
      // One to three election timeouts: long enough for the others to elect a new leader.
      const ms = 100 + frng.int(200);
      victim.pauseUntil(now + ms, frng.chance(0.7));
      stats.pauses = (stats.pauses ?? 0) + 1;
      trace?.(`pause ${victim.id} for ${ms} ms`);
    }
    if (leader && frng.chance(isolateLeaderRate)) {
      net.heal();
      const group = [leader.id];
      if (ids.length >= 5 && frng.chance(0.5)) group.push(frng.pick(ids.filter((id) => id !== leader.id)));
      const oneWay = frng.chance(0.2);
      net.partition(group, ids, oneWay);
      if (oneWay) stats.oneWayPartitions = (stats.oneWayPartitions ?? 0) + 1;
      stats.partitions!++;
      stats.leaderIsolations = (stats.leaderIsolations ?? 0) + 1;
      trace?.(`isolate leader ${leader.id}: ${group.join(',')}${oneWay ? ' (outbound only)' : ''}`);
    }
  };

  /**
   * CheckQuorum's promise (thesis §6.2): a leader that can still send but no longer hears from a
   * quorum steps down, so the voters that can talk to each other elect a leader of their own and
   * make progress — instead of staying loyal to the heartbeats of a leader nobody can answer.
   */
  const degradedPhase = (): void => {
    net.heal();
    net.faults = { ...net.faults, dropRate: 0, duplicateRate: 0 };
    for (const n of nodes.values()) if (!n.alive) n.start(now);
    const waitUntil = now + 2000;
    for (; now < waitUntil && !currentLeader()?.running; now++) {
      stepAll();
      expireOps();
    }
    const old = currentLeader();
    if (!old?.running) return;
    // Only when the others form a majority without it in every configuration any node holds.
    for (const n of nodes.values()) {
      const voters = voterIds(n.raft!.membership.current());
      if (voters.length && voters.filter((v) => v !== old.id).length < majority(voters.length)) return;
    }
    const term = old.raft!.term;
    for (const id of ids) if (id !== old.id) net.cutLink(id, old.id);
    stats.degradedPhases = (stats.degradedPhases ?? 0) + 1;
    trace?.(`degraded: ${old.id} (leader of term ${term}) hears nobody`);
    const deadline = now + 3000;
    for (; now < deadline; now++) {
      stepAll();
      expireOps();
      const progressed = [...nodes.values()].some((n) => n.id !== old.id && n.raft?.role === 'leader' && n.raft.term > term && n.raft.log.term(n.raft.log.committed) === n.raft.term);
      if (progressed) {
        net.heal();
        return;
      }
    }
    // No progress. That is a failure only if some other node could win an election: a majority of
    // its configuration's voters (besides the deaf one) would find its log up to date. (Logs can
    // leave nobody electable: e.g. when the only up-to-date nodes are the deaf one and learners.)
    const electable = [...nodes.values()].find((c) => {
      if (c.id === old.id || !c.raft) return false;
      const members = c.raft.membership.current();
      const voters = voterIds(members);
      if (findMember(members, c.id) ? !isVoter(members, c.id) : voters.length === 0) return false;
      const end = (n: SimNode): LogEnd => ({ lastIndex: n.raft!.log.lastIndex(), lastTerm: n.raft!.log.lastTerm() });
      const grantors = voters.filter((v) => v !== old.id && (v === c.id || atLeastAsUpToDate(end(c), end(nodes.get(v)!))));
      return grantors.length >= majority(voters.length);
    });
    if (!electable) {
      stats.degradedStuck = (stats.degradedStuck ?? 0) + 1;
      net.heal();
      return;
    }
    const states = [...nodes.values()].map((n) => `${n.id}:${n.alive ? n.raft!.role : 'down'}/t${n.raft?.term}/c${n.raft?.log.committed}`);
    check(false, `liveness: leader ${old.id} of term ${term} cannot hear anyone, and the others made no progress in 3000 ms although ${electable.id} could be elected (${states.join(' ')})`);
  };

  const stepAll = (): void => {
    deliverDue();
    for (const n of nodes.values()) n.step(now);
  };

  try {
    // Fault phase.
    for (; now < faultMs; now++) {
      stepAll();
      issueClientOps();
      injectFaults();
      expireOps();
    }
    // The storage model's own crashes (sim-node.ts) belong to the fault phase too.
    for (const n of nodes.values()) n.selfCrashes = false;
    if (degradedStage) degradedPhase();
    // Heal phase: no more faults; every node back; the cluster must converge.
    net.heal();
    net.faults = { ...net.faults, dropRate: 0, duplicateRate: 0 };
    for (const n of nodes.values()) if (!n.alive) n.start(now);
    const deadline = now + healMs;
    let converged = false;
    let finalWrite: { node: NodeId; index: number; term: number } | undefined;
    for (; now < deadline; now++) {
      stepAll();
      expireOps();
      const leader = currentLeader();
      if (!leader?.running) continue;
      const raft = leader.raft!;
      if (!finalWrite || finalWrite.term !== raft.term || finalWrite.node !== leader.id) {
        const r = raft.propose(encodeCommand({ op: 'put', key: '__final', value: String(now) }));
        if (r.ok) finalWrite = { node: leader.id, index: r.index, term: r.term };
        continue;
      }
      if (ops.size > 0) continue;
      const members = raft.membership.current();
      const target = raft.log.committed;
      if (target < finalWrite.index || raft.log.term(finalWrite.index) !== finalWrite.term) continue;
      const allCaughtUp = members.every((m) => {
        const n = nodes.get(m.id)!;
        return n.alive && n.appliedIndex >= target;
      });
      // A removed voter (a voter in its own view, outside the committed configuration) must have
      // learned it: told by the leader, or answered when it campaigned.
      const removedUnaware = [...nodes.values()].some((n) => n.alive && !findMember(members, n.id) && isVoter(n.raft!.membership.current(), n.id) && n.raft!.removedAt() === 0);
      if (allCaughtUp && !removedUnaware && raft.log.applied >= target) {
        // Every member applied the same state.
        const digest = leader.machine.digest();
        for (const m of members) {
          const n = nodes.get(m.id)!;
          if (n.appliedIndex === target) check(n.machine.digest() === digest, `convergence: node ${m.id} state differs from the leader's at ${target}`);
        }
        converged = true;
        break;
      }
    }
    if (!converged) {
      const l = currentLeader();
      const states = [...nodes.values()].map((n) => `${n.id}:${n.alive ? n.raft!.role : 'down'}/t${n.raft?.term}/c${n.raft?.log.committed}/a${n.appliedIndex}/${n.raft && isVoter(n.raft.membership.current(), n.id) ? 'voter' : 'non-voter'}${n.raft?.removedAt() ? `/removed@${n.raft.removedAt()}` : ''}`);
      const view = l ? l.raft!.membership.current().map((m) => {
        const pr = l.raft!.progressOf(m.id);
        return `${m.id}:${m.role}${pr ? `/${pr.state}/m${pr.match}/n${pr.next}${pr.pendingSnapshot ? `/snap${pr.pendingSnapshot.index}@${pr.snapshotOffset}` : ''}` : ''}`;
      }).join(' ') : '';
      throw new InvariantViolation(`liveness: no convergence ${healMs} ms after healing (leader ${l?.id ?? 'none'}; ${states.join(' ')}; leader's view: ${view}; pending ops ${ops.size})`);
    }
    // Outstanding operations have unknown outcomes; the checker treats them so.
    const verdict = history.check({ timeoutMs: 20000 });
    if (verdict.verdict === 'bad') {
      throw new InvariantViolation(`linearizability: history not linearizable on key ${verdict.key}\n${verdict.explanation ?? ''}`);
    }
    // Undecided within the checker's budget: the history proves nothing, so the seed fails, as a
    // chaos run does (none of ~25,000 seeds was undecided when this became a failure; it was
    // tolerated in 1 % of the seeds, where a hard-to-search bad history would have passed).
    if (verdict.verdict === 'unknown') throw new InvariantViolation(`linearizability: the checker could not decide key ${verdict.key} within its budget`);
    stats.messagesDelivered = net.delivered;
    stats.messagesDropped = net.dropped;
    stats.delayedLong = net.delayedLong;
    stats.confEntries = [...appliedAt.values()].filter((k) => k.split(':')[1] === String(EntryType.ConfChange)).length;
    return { seed: opts.seed, profile, ok: true, nodes: total, stats };
  } catch (err) {
    if (!(err instanceof InvariantViolation)) throw err;
    return { seed: opts.seed, profile, ok: false, error: `at ${now} ms [${profile}]: ${err.message}`, nodes: total, stats, historyJsonl: history.toJSONL() };
  }
}

/** Fills a snapshot chunk's data from the sender's snapshot, as the real transport does. */
function fillSnapshotChunk(m: Message, nodes: Map<NodeId, SimNode>): Message {
  if (m.type !== 'snapshot') return m;
  const bytes = nodes.get(m.from)?.snapshotBytes(m.meta.index);
  if (!bytes) return { ...m, data: new Uint8Array(0) };
  return { ...m, data: bytes.subarray(m.offset, m.offset + m.length) };
}

