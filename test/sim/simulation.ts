/**
 * Deterministic simulation of a whole cluster: one seed fixes everything (cluster size, faults,
 * latencies, clock skew, client operations), so a failing seed reproduces exactly.
 *
 * Phases: a fault phase with message loss, duplication, reordering, (asymmetric) partitions,
 * crashes that lose unpersisted writes, restarts, snapshots with compaction, membership changes
 * and leader transfers while clients write and read; then a heal phase that must converge.
 * Safety invariants are checked at every state change; the client history is checked for
 * linearizability at the end.
 */
import { EntryType, SeededRandom, isVoter, voterIds, type Entry, type Membership, type Message, type NodeId } from '../../src/core/index.js';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { encodeCommand, type KvCommand } from './kv-machine.js';
import { SimNetwork } from './network.js';
import { SimNode, type NodeEvents } from './sim-node.js';

export interface SimOptions {
  seed: number;
  /** Simulated milliseconds of the fault phase. */
  faultMs?: number;
  /** Simulated milliseconds allowed for convergence after healing. */
  healMs?: number;
  /** Print a trace line per fault. */
  verbose?: boolean;
}

export interface SimResult {
  seed: number;
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
}

export function runSimulation(opts: SimOptions): SimResult {
  const rng = new SeededRandom(opts.seed);
  const faultMs = opts.faultMs ?? 3000;
  const healMs = opts.healMs ?? 8000;
  const stats: Record<string, number> = {
    crashes: 0, restarts: 0, partitions: 0, snapshots: 0, confChanges: 0, transfers: 0,
    writesOk: 0, writesFailed: 0, writesUnknown: 0, readsOk: 0, readsFailed: 0, leaders: 0,
  };
  const trace = (line: string): void => {
    if (opts.verbose) console.log(`[${now}] ${line}`);
  };

  // Cluster shape: 3..5 initial voters, up to 7 nodes with spares that may join.
  const initialVoters = 3 + rng.int(3);
  const total = Math.min(7, initialVoters + rng.int(3));
  const ids: NodeId[] = Array.from({ length: total }, (_, i) => i + 1);
  const bootstrap: Membership = ids.slice(0, initialVoters).map((id) => ({ id, role: 'voter' as const, promote: false, context: `n${id}` }));
  const net = new SimNetwork(new SeededRandom(rng.int(2 ** 31)), {
    dropRate: rng.pick([0, 0.01, 0.05, 0.1]),
    duplicateRate: rng.pick([0, 0.01, 0.05]),
    minLatencyMs: 1,
    maxLatencyMs: rng.pick([2, 5, 15]),
  });
  const maxPersistDelayMs = rng.pick([0, 1, 3, 8]);
  // Fault intensity differs per seed: some runs are calm, some are storms.
  const crashRate = rng.pick([0.0005, 0.002, 0.006]);
  const partitionRate = rng.pick([0.0005, 0.001, 0.004]);
  const clientRate = rng.pick([0.01, 0.03, 0.08]);
  const lease = rng.chance(0.5);

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
  const clients: number[] = Array.from({ length: 3 + rng.int(6) }, () => nextProcess++);
  let readSeq = 0;

  const check = (cond: boolean, message: string): void => {
    if (!cond) throw new InvariantViolation(message);
  };
  const entryKey = (e: Entry): string => `${e.term}:${e.type}:${Buffer.from(e.data).toString('base64')}`;

  const finishOp = (op: ClientOp, outcome: 'ok' | 'fail' | 'info', value?: string | null): void => {
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

  const events: NodeEvents = {
    send: (t, m) => net.send(t, m),
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
      const prev = leadersByTerm.get(raft.term);
      check(prev === undefined || prev === node.id, `election safety: nodes ${prev} and ${node.id} both lead term ${raft.term}`);
      leadersByTerm.set(raft.term, node.id);
      // Leader completeness: every entry applied anywhere is in the new leader's log.
      const first = raft.log.firstIndex();
      for (let i = first; i <= maxApplied; i++) {
        const k = appliedAt.get(i);
        if (k === undefined) continue;
        const t = raft.log.term(i);
        check(t !== undefined && k.startsWith(`${t}:`), `leader completeness: leader ${node.id} of term ${raft.term} lacks committed entry ${i} (has term ${t})`);
      }
      trace(`node ${node.id} leads term ${raft.term}`);
    },
    check,
  };

  const nodes = new Map<NodeId, SimNode>();
  for (const id of ids) {
    const rate = 1 + (rng.next() * 2 - 1) * 0.04; // ±4% clock skew, inside the 10% lease margin
    nodes.set(
      id,
      new SimNode(
        id,
        id <= initialVoters ? bootstrap : [],
        { tickMs: TICK_MS, electionTicks: ELECTION_TICKS, heartbeatTicks: 2, snapshotChunkBytes: 16 + rng.int(64), maxInflightMessages: 4, maxEntriesPerMessage: 8, logger: opts.verbose ? (l) => console.log(`[${now}] ${l}`) : undefined },
        rate,
        new SeededRandom(rng.int(2 ** 31)),
        events,
        maxPersistDelayMs,
        0,
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
        history.invoke(process, 'read', key);
        ops.set(process, op);
        node.read(now, op.context, key, lease && rng.chance(0.5));
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
      op.index = r.index;
      op.term = r.term;
      ops.set(process, op);
    }
  };

  const expireOps = (): void => {
    for (const op of [...ops.values()]) {
      const node = nodes.get(op.node)!;
      if (now - op.startedAt > OP_TIMEOUT_MS || !node.alive) finishOp(op, 'info');
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
        trace(`crash ${victim.id}`);
      }
    }
    if (rng.chance(crashRate * 2)) {
      const dead = all.filter((n) => !n.alive);
      if (dead.length) {
        const n = rng.pick(dead);
        n.start(now);
        stats.restarts!++;
        trace(`restart ${n.id}`);
      }
    }
    if (rng.chance(partitionRate)) {
      net.heal();
      const group = ids.filter(() => rng.chance(0.4));
      if (group.length && group.length < ids.length) {
        const oneWay = rng.chance(0.3);
        net.partition(group, ids, oneWay);
        stats.partitions!++;
        trace(`partition ${group.join(',')}${oneWay ? ' (outbound only)' : ''}`);
      }
    }
    if (net.hasCuts() && rng.chance(0.002)) {
      net.heal();
      trace('heal');
    }
    if (rng.chance(0.002)) {
      const n = rng.pick(all);
      if (n.alive) {
        n.takeSnapshot();
        stats.snapshots!++;
      }
    }
    const leader = currentLeader();
    if (leader && rng.chance(0.0015)) {
      const members = leader.raft!.membership.current();
      const inConfig = new Set(members.map((m) => m.id));
      const outside = ids.filter((id) => !inConfig.has(id));
      let r;
      if (outside.length && (members.length <= 3 || rng.chance(0.5))) {
        const id = rng.pick(outside);
        r = leader.raft!.proposeConfChange({ type: rng.chance(0.7) ? 'addVoter' : 'addLearner', id, context: `n${id}` });
      } else if (members.length > 3) {
        const id = rng.pick(members).id;
        r = leader.raft!.proposeConfChange({ type: 'remove', id });
      }
      if (r?.ok) {
        stats.confChanges!++;
        trace(`conf change at ${r.index}`);
      }
    }
    if (leader && rng.chance(0.0008)) {
      const target = rng.pick(voterIds(leader.raft!.membership.current()));
      if (leader.raft!.transferLeader(target).ok) stats.transfers!++;
    }
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
      if (!leader) continue;
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
      if (allCaughtUp && raft.log.applied >= target) {
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
      const states = [...nodes.values()].map((n) => `${n.id}:${n.alive ? n.raft!.role : 'down'}/t${n.raft?.term}/c${n.raft?.log.committed}/a${n.appliedIndex}/${n.raft && isVoter(n.raft.membership.current(), n.id) ? 'voter' : 'non-voter'}`);
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
    stats.linearizabilityUnknown = verdict.verdict === 'unknown' ? 1 : 0;
    stats.messagesDelivered = net.delivered;
    stats.messagesDropped = net.dropped;
    stats.confEntries = [...appliedAt.values()].filter((k) => k.split(':')[1] === String(EntryType.ConfChange)).length;
    return { seed: opts.seed, ok: true, nodes: total, stats };
  } catch (err) {
    if (!(err instanceof InvariantViolation)) throw err;
    return { seed: opts.seed, ok: false, error: `at ${now} ms: ${err.message}`, nodes: total, stats, historyJsonl: history.toJSONL() };
  }
}

/** Fills a snapshot chunk's data from the sender's snapshot, as the real transport does. */
function fillSnapshotChunk(m: Message, nodes: Map<NodeId, SimNode>): Message {
  if (m.type !== 'snapshot') return m;
  const bytes = nodes.get(m.from)?.snapshotBytes(m.meta.index);
  if (!bytes) return { ...m, data: new Uint8Array(0) };
  return { ...m, data: bytes.subarray(m.offset, m.offset + m.length) };
}

