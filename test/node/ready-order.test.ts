// The order of a full Ready in the Node's run loop (src/node.ts, handleReady) when the leader
// sends a snapshot chunk that must first be read from disk while the Ready's own WAL write runs.
//
// handleReady starts the local write, sends the early messages (a snapshot chunk goes into its
// peer's lane and leaves once read), chains afterPersist + advance on the write, then calls
// finishReady. Rules:
//  1. afterPersist(rd), which sends the acks and votes that promise local durability, runs only
//     once the write is durable and after finishReady(rd) applied the Ready's committed entries;
//     advance(rd) comes after both.
//  2. A chunk read holds only the messages to its own peer, which leave after the chunk, in
//     order: the apply, afterPersist, advance and the other peers' traffic go on meanwhile. A
//     read slower than the election timeout costs neither heartbeats nor leadership (before,
//     handleReady awaited the read and the leader sent nothing until it returned).
//  3. A write that fails while a chunk read is pending is no unhandled rejection: the node fails
//     with the storage error and stops, after the read returned.
//  4. Every committed entry applies exactly once, in order.
//
// How the timing is forced, deterministically:
//  - The node under test is a real Node (real WAL, real snapshot store). The two other members
//    are played by the test through NodeOptions.transport (ScriptedPeers): f1, a voter whose acks
//    the test hands over when it wants an entry committed, and f2, a learner behind the leader's
//    compacted log, which is therefore sent the snapshot, one chunk per round.
//  - Each round, in one synchronous step while the node is idle, the test acks the previous entry
//    as f1 (committing it), proposes a new one, asks for f2's next chunk and sends a vote request
//    as f1 and as f2 (each refused by a message that only afterPersist sends). The next Ready thus
//    carries an entry to write, a committed entry to apply, a chunk to read and send, and late
//    messages to a peer with no chunk pending (f1) and to one behind the chunk (f2).
//  - The Node builds its WalStorage and SnapshotStore itself in start(), with no option to inject
//    them, so the test wraps WalStorage.prototype.persist and SnapshotStore.prototype.readChunk
//    (restored after each test): the chunk read waits until the Ready's write completed, or the
//    write's completion is held until after the read returned, or the read is held until the
//    test lets it return. Raft.prototype.advance is wrapped only to record when advance(rd)
//    runs; it has no visible effect here. No private field of the Node is used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { Raft, type Entry, type HardState, type Message, type Ready } from '../../src/core/index.js';
import { StoppedError } from '../../src/errors.js';
import { memberId } from '../../src/members.js';
import { Never, SnapshotStore, type StoredSnapshot } from '../../src/snapshot/index.js';
import { WalStorage } from '../../src/storage.js';
import type { MessageHandler, Transport, TransportStats } from '../../src/transport/types.js';
import { Kv, kvSnapshot } from '../support/node-cluster.js';

const LEADER = 'l:1';
const F1 = 'f1:2';
const F2 = 'f2:3';
const L_ID = memberId(LEADER);
const F1_ID = memberId(F1);
const F2_ID = memberId(F2);
const CHUNK_BYTES = 32;
const SETUP_ENTRIES = 24;

type SnapshotChunk = Extract<Message, { type: 'snapshot' }>;
type Outcome = { key: string; index: number } & ({ ok: true; result: unknown } | { ok: false; error: unknown });
/** When the Ready's write completes: while its chunk read is pending, or only after it returned. */
type WriteTiming = 'duringRead' | 'afterRead';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function waitFor(probe: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The context: a Kv whose commands also note their apply on the test's timeline. */
class RecordingKv extends Kv {
  constructor(readonly timeline: string[]) {
    super();
  }
}

class Put {
  static readonly type = 1;
  constructor(
    readonly key: string,
    readonly value: string,
  ) {}
  do(kv: RecordingKv): string {
    kv.data.set(this.key, this.value);
    kv.log.push(this.key);
    kv.timeline.push(`apply ${this.key}`);
    return this.key;
  }
}

/**
 * The leader's peers, played by the test. f1 grants votes and answers heartbeats (a turn later, as
 * a network would); it acks appends on its own only while `autoAck` is set. f2 never answers on
 * its own. `deliver` hands the node a message from either of them, synchronously.
 */
class ScriptedPeers implements Transport {
  readonly address = LEADER;
  readonly sent: Array<{ to: string; m: Message }> = [];
  autoAck = true;
  onSend: (to: string, m: Message) => void = () => {};
  private handler: MessageHandler | undefined;
  private readonly later = new Set<NodeJS.Immediate>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    for (const t of this.later) clearImmediate(t);
    this.later.clear();
    this.handler = undefined;
  }
  onMessages(handler: MessageHandler): void {
    this.handler = handler;
  }
  setPeers(): void {}
  stats(): TransportStats {
    return { peers: {}, droppedUnknownPeer: 0, rejectedStreams: 0, decodeErrors: 0 };
  }
  send(to: string, messages: readonly Message[]): void {
    for (const m of messages) {
      this.sent.push({ to, m });
      this.onSend(to, m);
      if (to === F1) this.answerAsF1(m);
    }
  }
  deliver(from: string, m: Message): void {
    this.handler?.(from, [m]);
  }
  private answerAsF1(m: Message): void {
    const base = { from: F1_ID, to: L_ID, term: m.term };
    if (m.type === 'vote') this.soon({ ...base, type: 'voteResp', preVote: m.preVote, reject: false });
    else if (m.type === 'heartbeat') this.soon({ ...base, type: 'heartbeatResp', round: m.round });
    else if (m.type === 'append' && this.autoAck) this.soon(ack(m.term, m.prevIndex + m.entries.length));
  }
  private soon(m: Message): void {
    const t = setImmediate(() => {
      this.later.delete(t);
      this.deliver(F1, m);
    });
    this.later.add(t);
  }
}

/** f1's ack of everything up to `index`. */
function ack(term: number, index: number): Message {
  return { type: 'appendResp', from: F1_ID, to: L_ID, term, reject: false, index, conflictTerm: 0, conflictIndex: 0 };
}

/**
 * One leader and its scripted peers, with the WAL write, the chunk read and advance instrumented.
 * Everything that matters lands on `timeline`, in the order it happened:
 *   write X3 start / write X3 done / write X3 failed   the Ready's WAL write (persist)
 *   read @64 start / read @64 end                      a snapshot chunk read (readChunk)
 *   send snapshot@64+32 to f2                          a chunk leaving, with its data
 *   apply X2                                           finishReady applying a committed entry
 *   send voteResp to f2                                afterPersist sending the late messages
 *   advance X3                                         raft.advance of the Ready that wrote X3
 */
class Scenario {
  readonly timeline: string[] = [];
  readonly logs: string[] = [];
  readonly unhandled: string[] = [];
  readonly peers = new ScriptedPeers();
  readonly kv = new RecordingKv(this.timeline);
  readonly dir = mkdtempSync(join(tmpdir(), 'tsraft-ready-order-'));
  readonly proposals: Array<{ key: string; index: number; outcome: Promise<Outcome> }> = [];
  node: Node<RecordingKv> | undefined;
  private started = false;
  private readonly keyAt = new Map<number, string>();
  private timing: WriteTiming | 'readHeld' = 'duringRead';
  /** Released by the test when timing is 'readHeld'. */
  readonly readRelease = deferred();
  private failNextWrite = false;
  /** The next advance(rd) of a Ready with entries throws (a broken invariant after the write). */
  private throwInNextAdvance = false;
  private holdNextWrite = false;
  private lastWrite: Promise<void> = Promise.resolve();
  private readEnded = deferred();
  lastChunk: SnapshotChunk | undefined;
  /** The next chunk read fails (a file gone bad on disk). */
  failNextRead = false;
  /** How many messages had been sent when the last chunk read started. */
  sentAtReadStart = 0;
  private readonly undo: Array<() => void> = [];
  private readonly onUnhandled = (reason: unknown): void => {
    this.unhandled.push(reason instanceof Error ? reason.message : String(reason));
  };

  constructor() {
    process.on('unhandledRejection', this.onUnhandled);
    this.instrument();
    this.peers.onSend = (to, m) => {
      if (m.type === 'voteResp') this.timeline.push(`send voteResp to ${to === F1 ? 'f1' : 'f2'}`);
      if (to !== F2) return;
      if (m.type === 'snapshot') {
        this.lastChunk = m;
        this.timeline.push(`send snapshot@${m.offset}+${m.data.length} to f2`);
      }
    };
  }

  get leader(): Node<RecordingKv> {
    if (!this.node) throw new Error('not started');
    return this.node;
  }

  private names(entries: readonly Entry[]): string {
    return entries.map((e) => this.keyAt.get(e.index) ?? `#${e.index}`).join(',');
  }

  private instrument(): void {
    const s = this;
    const persist = WalStorage.prototype.persist;
    WalStorage.prototype.persist = function (this: WalStorage, entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
      if (entries.length === 0) return persist.call(this, entries, hardState);
      const name = s.names(entries);
      s.timeline.push(`write ${name} start`);
      // Settles with the write, without handling its rejection: that is the Node's job.
      const settled = deferred();
      s.lastWrite = settled.promise;
      if (s.failNextWrite) {
        s.failNextWrite = false;
        // Nothing reaches the disk; the write fails a moment later, while the chunk read is pending.
        return new Promise<void>((_, reject) =>
          setTimeout(() => {
            s.timeline.push(`write ${name} failed`);
            settled.resolve();
            reject(new Error('injected WAL write failure'));
          }, 5),
        );
      }
      const hold = s.holdNextWrite ? s.readEnded.promise : undefined;
      s.holdNextWrite = false;
      return persist.call(this, entries, hardState).then(
        async () => {
          // afterRead: the node learns the write is durable only 20 ms after the chunk read
          // returned; whatever waits for durability must still be waiting by then.
          if (hold) {
            await hold;
            await delay(20);
          }
          s.timeline.push(`write ${name} done`);
          settled.resolve();
        },
        (err: unknown) => {
          settled.resolve();
          throw err;
        },
      );
    };
    this.undo.push(() => (WalStorage.prototype.persist = persist));

    const readChunk = SnapshotStore.prototype.readChunk;
    SnapshotStore.prototype.readChunk = async function (this: SnapshotStore, snap: StoredSnapshot, offset: number, length: number): Promise<Uint8Array> {
      s.timeline.push(`read @${offset} start`);
      s.sentAtReadStart = s.peers.sent.length;
      if (s.timing === 'duringRead') {
        // Let the Ready's write complete while this read is pending, then give whatever might be
        // chained on it (or an unhandled rejection) time to show.
        await s.lastWrite;
        await delay(10);
      } else if (s.timing === 'readHeld') {
        await s.readRelease.promise; // a cold, throttled disk
      }
      if (s.failNextRead) {
        s.failNextRead = false;
        s.timeline.push(`read @${offset} failed`);
        throw new Error('injected chunk read failure');
      }
      const bytes = await readChunk.call(this, snap, offset, length);
      s.timeline.push(`read @${offset} end`);
      s.readEnded.resolve();
      return bytes;
    };
    this.undo.push(() => (SnapshotStore.prototype.readChunk = readChunk));

    const advance = Raft.prototype.advance;
    Raft.prototype.advance = function (this: Raft, rd: Ready): void {
      if (rd.entries.length > 0) s.timeline.push(`advance ${s.names(rd.entries)}`);
      if (s.throwInNextAdvance && rd.entries.length > 0) {
        s.throwInNextAdvance = false;
        throw new Error('injected failure in advance');
      }
      advance.call(this, rd);
    };
    this.undo.push(() => (Raft.prototype.advance = advance));
  }

  /** Elects the node, writes a log spanning several WAL segments, snapshots (compacting it), writes X0. */
  async start(): Promise<void> {
    const node = await Node.create<RecordingKv>({
      host: 'l',
      port: 1,
      dataDir: this.dir,
      context: this.kv,
      members: `${LEADER};${F1};${F2},true`,
      transport: this.peers,
      heartbeatMs: 10,
      electionTimeoutMs: 400,
      requestTimeoutMs: 3000,
      sync: 'none',
      walSegmentBytes: 256, // small segments, so that the snapshot below compacts the log...
      snapshotTrailingEntries: 0, // ...and f2 can only catch up through the snapshot
      snapshotsKept: 1, // (with 2, the log would reach back to the log's start until a second snapshot)
      snapshotChunkBytes: CHUNK_BYTES, // many chunks: one per round
      logLevel: 'info',
      logger: (level, line) => {
        this.logs.push(`${level} ${line}`);
        if (line === 'stopped') this.timeline.push('stopped');
      },
    });
    this.node = node;
    node.registerCommand(Put);
    node.setSnapshot(kvSnapshot(this.kv));
    node.setSnapshotPolicy(Never); // snapshots only when the test takes one
    await node.start();
    this.started = true;
    await waitFor(() => node.isLeader(), "the node to win the election with f1's vote");
    for (let i = 0; i < SETUP_ENTRIES; i++) await node.do(new Put(`s${i}`, 'x'.repeat(40)));
    await node.snapshot();
    assert.ok(node.status().firstIndex > 2, `the leader compacted its log: ${JSON.stringify(node.status())}`);
    // From here on f1 acks only when a round says so: the test decides what is committed.
    this.peers.autoAck = false;
    this.propose('X0');
    await waitFor(() => this.timeline.includes('advance X0'), 'the write of X0');
    await nextTurn();
  }

  propose(key: string): void {
    const node = this.leader;
    const outcome = node.propose(new Put(key, key)).then(
      (r): Outcome => ({ key, index: r.index, ok: true, result: r.result }),
      (error: unknown): Outcome => ({ key, index: -1, ok: false, error }),
    );
    // The leader appended the entry synchronously: it is the last one now.
    const index = node.status().lastIndex;
    this.keyAt.set(index, key);
    this.proposals.push({ key, index, outcome });
  }

  /**
   * Round k: one Ready that writes Xk, applies X(k-1), sends f2 a chunk and, in afterPersist,
   * refuses f1's and f2's votes. Returns the part of the timeline from the round's start.
   */
  async round(k: number, timing: WriteTiming | 'fail' | 'throwInAdvance'): Promise<string[]> {
    const from = this.timeline.length;
    this.begin(k, timing);
    // Wait for all the round's work (not just for one event, so that a wrong order shows whole).
    const happened = (event: string): boolean => this.timeline.slice(from).some((e) => e.startsWith(event));
    const finished =
      timing === 'fail' || timing === 'throwInAdvance'
        ? () => happened('stopped')
        : () =>
            happened(`advance X${k}`) && happened(`apply X${k - 1}`) && happened('send snapshot@') && happened('send voteResp to f1') && happened('send voteResp to f2');
    await waitFor(finished, `round ${k}`).catch((err: Error) => {
      throw new Error(`${err.message}; its events so far:\n  ${this.timeline.slice(from).join('\n  ')}`);
    });
    await nextTurn();
    return this.timeline.slice(from);
  }

  /** Starts round k (see round) in one synchronous step, without waiting for any of its work. */
  begin(k: number, timing: WriteTiming | 'fail' | 'throwInAdvance' | 'readHeld'): void {
    const node = this.leader;
    const term = node.status().term;
    const previous = this.proposals[this.proposals.length - 1]!;
    this.timing = timing === 'afterRead' || timing === 'readHeld' ? timing : 'duringRead';
    this.failNextWrite = timing === 'fail';
    this.throwInNextAdvance = timing === 'throwInAdvance';
    this.holdNextWrite = timing === 'afterRead';
    this.readEnded = deferred();
    this.timeline.push(`round ${k}`);
    // One synchronous step, all of it in the node's next Ready:
    this.peers.deliver(F1, ack(term, previous.index)); // X(k-1) is committed: the Ready applies it
    this.propose(`X${k}`); // the Ready writes Xk
    this.peers.deliver(F2, this.askNextChunk(term)); // the Ready sends f2 a chunk read from disk
    // The leader refuses both votes once its write is durable (afterPersist): f1's answer leaves
    // at once, f2's behind the chunk.
    for (const [address, id] of [[F1, F1_ID], [F2, F2_ID]] as const) {
      this.peers.deliver(address, { type: 'vote', from: id, to: L_ID, term, preVote: false, lastIndex: 0, lastTerm: 0, transfer: false });
    }
  }

  private askNextChunk(term: number): Message {
    const chunk = this.lastChunk;
    if (chunk) {
      assert.ok(!chunk.done, 'the snapshot has a chunk left for this round');
      return { type: 'snapshotResp', from: F2_ID, to: L_ID, term, snapshotIndex: chunk.meta.index, nextOffset: chunk.offset + chunk.length };
    }
    // First round: f2 refuses the leader's probe; with the log compacted, the leader turns to the snapshot.
    const probe = [...this.peers.sent].reverse().find((s) => s.to === F2 && s.m.type === 'append');
    assert.ok(probe && probe.m.type === 'append', 'the leader probed f2');
    return { type: 'appendResp', from: F2_ID, to: L_ID, term, reject: true, index: probe.m.prevIndex, conflictTerm: 0, conflictIndex: 1 };
  }

  /** Commits the last entry and waits for every proposal's outcome. */
  async finish(): Promise<Outcome[]> {
    const last = this.proposals[this.proposals.length - 1]!;
    this.peers.deliver(F1, ack(this.leader.status().term, last.index));
    return Promise.all(this.proposals.map((p) => p.outcome));
  }

  /** Rule 3: each X applied exactly once, in order, with its own result at consecutive indices. */
  assertAppliedOnceInOrder(outcomes: readonly Outcome[]): void {
    const keys = outcomes.map((o) => o.key);
    for (const [i, o] of outcomes.entries()) {
      assert.ok(o.ok, `${o.key} applied: ${o.ok ? '' : String(o.error)}`);
      if (o.ok) assert.is(o.result, o.key, `${o.key} resolved with its own result`);
      assert.is(o.index, outcomes[0]!.index + i, `${o.key} at the index after the previous one`);
    }
    const setup = Array.from({ length: SETUP_ENTRIES }, (_, i) => `s${i}`);
    assert.equal(this.kv.log, [...setup, ...keys], 'the state machine took every command once, in order');
    assert.equal(
      this.timeline.filter((e) => e.startsWith('apply X')),
      keys.map((k) => `apply ${k}`),
      'each X applied exactly once, in order',
    );
    const st = this.leader.status();
    assert.ok(st.appliedIndex === st.commitIndex && st.commitIndex === st.lastIndex, `all applied: ${JSON.stringify(st)}`);
  }

  async close(): Promise<void> {
    try {
      this.readRelease.resolve(); // a held read would hold stop() (it waits for pending chunk reads)
      if (this.node) await this.node.stop();
      // stop() returns at once if the node is already stopping (after a storage failure).
      if (this.started) await waitFor(() => this.logs.includes('info stopped'), 'the node to stop').catch(() => {});
    } finally {
      for (const undo of this.undo.reverse()) undo();
      process.off('unhandledRejection', this.onUnhandled);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** The offset of the snapshot chunk a round read. */
function chunkOffset(events: readonly string[]): number {
  for (const e of events) {
    const m = /^read @(\d+) start$/.exec(e);
    if (m) return Number(m[1]);
  }
  return -1;
}

/** Asserts that `a` happened before `b` in a round's timeline. */
function before(events: readonly string[], a: string, b: string, rule: string): void {
  const i = events.indexOf(a);
  const j = events.indexOf(b);
  assert.ok(i >= 0 && j >= 0 && i < j, `${rule}: expected "${a}" before "${b}" in\n  ${events.join('\n  ')}`);
}

/**
 * Rules 1 and 2 on round k's timeline: apply (finishReady), then afterPersist once the write is
 * durable, then advance; the chunk leaves once read, and f2's vote answer after it.
 */
function assertReadyOrder(events: readonly string[], k: number, offset: number): void {
  const written = `write X${k} done`;
  const chunkRead = `read @${offset} end`;
  const chunkSent = `send snapshot@${offset}+${CHUNK_BYTES} to f2`;
  const applied = `apply X${k - 1}`;
  const afterPersist = 'send voteResp to f1';
  const advanced = `advance X${k}`;
  before(events, written, afterPersist, 'afterPersist waits until the write is durable');
  before(events, written, 'send voteResp to f2', 'afterPersist waits until the write is durable');
  before(events, applied, afterPersist, 'afterPersist runs after finishReady of the same Ready');
  before(events, applied, advanced, 'advance runs after finishReady');
  before(events, afterPersist, advanced, 'advance runs after afterPersist');
  before(events, chunkRead, chunkSent, 'a chunk leaves once read');
  before(events, chunkSent, 'send voteResp to f2', "the messages to a chunk's peer leave after the chunk");
}

/** Runs `body` on a started Scenario and closes it whatever happens. */
async function inScenario(body: (s: Scenario) => Promise<void>): Promise<void> {
  const s = new Scenario();
  try {
    await s.start();
    await body(s);
  } finally {
    await s.close();
  }
}

test('afterPersist runs after the write is durable and after finishReady, and the chunk read holds none of it, when the write completes while a chunk read is pending', async () => {
  await inScenario(async (s) => {
    for (let k = 1; k <= 4; k++) {
      const events = await s.round(k, 'duringRead');
      const o = chunkOffset(events);
      before(events, `write X${k} done`, `read @${o} end`, 'setup: the write completed while the chunk read was pending');
      assertReadyOrder(events, k, o);
      assert.equal(events, [
        `round ${k}`,
        `write X${k} start`,
        `apply X${k - 1}`,
        `read @${o} start`,
        `write X${k} done`,
        'send voteResp to f1',
        `advance X${k}`,
        `read @${o} end`,
        `send snapshot@${o}+${CHUNK_BYTES} to f2`,
        'send voteResp to f2',
      ]);
    }
    s.assertAppliedOnceInOrder(await s.finish());
    assert.equal(s.unhandled, [], 'no unhandled rejection');
  });
});

test('afterPersist waits for the write when it is still in flight after the chunk was read and sent', async () => {
  await inScenario(async (s) => {
    for (let k = 1; k <= 3; k++) {
      const events = await s.round(k, 'afterRead');
      const o = chunkOffset(events);
      before(events, `send snapshot@${o}+${CHUNK_BYTES} to f2`, `write X${k} done`, 'setup: the write was still in flight when the chunk left');
      assertReadyOrder(events, k, o);
      assert.equal(events, [
        `round ${k}`,
        `write X${k} start`,
        `apply X${k - 1}`,
        `read @${o} start`,
        `read @${o} end`,
        `send snapshot@${o}+${CHUNK_BYTES} to f2`,
        `write X${k} done`,
        'send voteResp to f1',
        'send voteResp to f2',
        `advance X${k}`,
      ]);
    }
    s.assertAppliedOnceInOrder(await s.finish());
    assert.equal(s.unhandled, [], 'no unhandled rejection');
  });
});

test('a chunk read slower than the election timeout costs neither heartbeats nor leadership, and the messages to its peer wait behind it in order', async () => {
  await inScenario(async (s) => {
    await s.round(1, 'duringRead');
    const term = s.leader.status().term;
    const from = s.peers.sent.length;
    const start = s.timeline.length;
    s.begin(2, 'readHeld');
    await waitFor(() => s.timeline.slice(start).some((e) => e.startsWith('read @')), 'the chunk read to start');
    // While the read is held for three election timeouts, a write commits with f1's ack.
    const readStart = Date.now();
    await waitFor(() => s.timeline.includes('advance X2'), 'the write of X2 while the chunk read is held');
    s.propose('X3');
    const x3 = s.proposals[s.proposals.length - 1]!;
    await waitFor(() => s.peers.sent.slice(from).some((x) => x.to === F1 && x.m.type === 'append' && x.m.entries.some((e) => e.index === x3.index)), 'X3 sent to f1');
    s.peers.deliver(F1, ack(term, x3.index));
    const x3Outcome = await x3.outcome;
    assert.ok(x3Outcome.ok, `X3 committed while the chunk read was held: ${x3Outcome.ok ? '' : String(x3Outcome.error)}`);
    await delay(Math.max(0, 1200 - (Date.now() - readStart)));
    const held = s.peers.sent.slice(from);
    const heartbeatsToF1 = held.filter((x) => x.to === F1 && x.m.type === 'heartbeat').length;
    assert.ok(heartbeatsToF1 >= 10, `the leader went on heartbeating f1 (10 ms heartbeats) while the read was held: ${heartbeatsToF1} sent`);
    assert.equal(
      // nodeMeta is the Node layer's own announcement, in no order with the Raft traffic.
      held.filter((x) => x.to === F2 && (x.m.type as string) !== 'nodeMeta').map((x) => (x.m.type === 'snapshot' ? `snapshot@${x.m.offset}` : x.m.type)),
      [],
      'no Raft message to f2 overtakes the chunk that is being read for it',
    );
    assert.ok(s.leader.isLeader() && s.leader.status().term === term, `still the leader in term ${term}: ${JSON.stringify(s.leader.status())}`);
    assert.ok(s.timeline.slice(start).includes('send voteResp to f1'), "f1's vote answer left while the read was held");
    const sentBefore = s.peers.sent.length;
    s.readRelease.resolve();
    const sentToF2 = (): Array<{ to: string; m: Message }> => s.peers.sent.slice(sentBefore).filter((x) => x.to === F2);
    await waitFor(
      () => s.timeline.slice(start).includes('send voteResp to f2') && sentToF2().some((x) => x.m.type === 'heartbeat'),
      "f2's messages after the read returned",
    );
    // The messages of the chunk's own Ready may come before it (a heartbeat round that a tick
    // started just before the round began); every heartbeat round started after the read did
    // (those f1 got while it was held) comes after it.
    const roundAtRead = Math.max(0, ...s.peers.sent.slice(0, s.sentAtReadStart).map((x) => (x.m.type === 'heartbeat' ? x.m.round : 0)));
    const toF2 = sentToF2().map((x) => x.m);
    const describe = toF2.map((m) => (m.type === 'heartbeat' ? `heartbeat ${m.round}` : m.type)).join(', ');
    const chunkAt = toF2.findIndex((m) => m.type === 'snapshot');
    assert.ok(chunkAt >= 0, `the chunk left once read: ${describe}`);
    const later = toF2.filter((m) => m.type === 'heartbeat' && m.round > roundAtRead);
    assert.ok(later.length > 0, `heartbeat rounds started while the read was held reached f2 after it: ${describe}`);
    for (const [i, m] of toF2.entries()) {
      if ((m.type === 'heartbeat' && m.round > roundAtRead) || m.type === 'voteResp') assert.ok(i > chunkAt, `the messages queued behind the chunk leave after it: ${describe}`);
    }
    s.assertAppliedOnceInOrder(await s.finish());
    assert.equal(s.unhandled, [], 'no unhandled rejection');
  });
});

test('a chunk of an older snapshot that can no longer be read starts the transfer again with the latest snapshot', async () => {
  await inScenario(async (s) => {
    await s.round(1, 'duringRead');
    const older = s.lastChunk!.meta.index;
    await s.finish(); // X1 applies...
    await s.leader.snapshot(); // ...and a newer snapshot covers it, while f2 is still sent the older one
    const latest = s.leader.status().snapshotIndex;
    assert.ok(latest > older, `a newer snapshot: ${latest} after ${older}`);
    s.failNextRead = true;
    const start = s.timeline.length;
    s.begin(2, 'duringRead');
    await waitFor(() => s.lastChunk!.meta.index === latest, `a chunk of snapshot ${latest}`);
    const events = s.timeline.slice(start);
    const failed = events.find((e) => /^read @\d+ failed$/.test(e));
    assert.is(failed, `read @${CHUNK_BYTES} failed`, `the older snapshot's second chunk failed: ${events.join(', ')}`);
    assert.is(s.lastChunk!.offset, 0, 'the transfer starts again from the start of the latest snapshot');
    assert.ok(
      s.logs.some((l) => l.startsWith('warn') && l.includes(`snapshot ${older} being sent can no longer be read`) && l.includes(`sending snapshot ${latest} instead`)),
      `the switch is logged:\n  ${s.logs.join('\n  ')}`,
    );
  });
});

test('stop() while a chunk read is pending waits for the read, and what waited behind it is never sent', async () => {
  await inScenario(async (s) => {
    await s.round(1, 'duringRead');
    const start = s.timeline.length;
    s.begin(2, 'readHeld');
    await waitFor(() => s.timeline.slice(start).some((e) => e.startsWith('read @')), 'the chunk read to start');
    await waitFor(() => s.timeline.includes('advance X2'), "X2's write, whose vote answer to f2 waits behind the chunk");
    const sentAtStop = s.peers.sent.length;
    let stopped = false;
    const stopping = s.leader.stop().then(() => (stopped = true));
    await delay(50);
    assert.not.ok(stopped, 'stop() waits for the pending read (it closes the snapshot store after)');
    s.readRelease.resolve();
    await stopping;
    const events = s.timeline.slice(start);
    const o = chunkOffset(events);
    before(events, `read @${o} end`, 'stopped', 'the node stops once the read returned');
    assert.equal(
      s.peers.sent.slice(sentAtStop).map((x) => `${x.m.type} to ${x.to}`),
      [],
      'neither the chunk nor the messages behind it leave a stopping node',
    );
  });
});

test('a write that fails while a chunk read is pending fails the node with the storage error, with no unhandled rejection, and the node stops after the read', async () => {
  await inScenario(async (s) => {
    await s.round(1, 'duringRead');
    const toldBefore: Error[] = [];
    s.leader.onFatal((err) => toldBefore.push(err));
    const events = await s.round(2, 'fail');
    const o = chunkOffset(events);
    assert.equal(s.unhandled, [], 'no unhandled rejection while the chunk read was pending');
    const toldAfter = await new Promise<Error>((resolve) => s.leader.onFatal(resolve));
    assert.equal(toldBefore.map((e) => e.message), [toldAfter.message], 'onFatal told once, registered before or after the failure');
    assert.match(toldAfter.message, /injected WAL write failure/);
    assert.equal(
      events,
      ['round 2', `write X2 start`, `apply X1`, `read @${o} start`, `write X2 failed`, `read @${o} end`, 'stopped'],
      'the Ready applied; afterPersist and advance never ran for the failed write; the stopping node sent no chunk and stopped once the read returned',
    );
    assert.ok(
      s.logs.some((l) => l.startsWith('error fatal') && l.includes('injected WAL write failure')),
      `the node failed with the storage error:\n  ${s.logs.join('\n  ')}`,
    );
    const outcomes = await Promise.all(s.proposals.map((p) => p.outcome));
    assert.equal(
      outcomes.map((x) => [x.key, x.ok]),
      [['X0', true], ['X1', true], ['X2', false]],
    );
    const x2 = outcomes[2]!;
    assert.ok(!x2.ok && x2.error instanceof StoppedError, `X2 failed with StoppedError: ${x2.ok ? '' : String(x2.error)}`);
    const late = await s.leader.propose(new Put('late', 'late')).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(late instanceof StoppedError, `the node refuses new work: ${String(late)}`);
    assert.equal(s.kv.log.slice(SETUP_ENTRIES), ['X0', 'X1'], 'what applied, applied once and in order');
  });
});

test('every committed entry applies exactly once and in order across Readys whose write completes during or after their chunk read', async () => {
  await inScenario(async (s) => {
    for (let k = 1; k <= 8; k++) await s.round(k, k % 2 === 1 ? 'duringRead' : 'afterRead');
    s.assertAppliedOnceInOrder(await s.finish());
    assert.equal(s.unhandled, [], 'no unhandled rejection');
  });
});

test('a throw after the write (in advance) fails the node instead of surfacing as an unhandled rejection', async () => {
  // Before the fix the rejection of the write's callback went unhandled: the node went on and
  // wrote the entry a second time with the next one.
  await inScenario(async (s) => {
    await s.round(1, 'duringRead');
    const events = await s.round(2, 'throwInAdvance');
    assert.ok(events.includes('advance X2'), `advance ran: ${events.join(', ')}`);
    assert.equal(s.unhandled, [], 'no unhandled rejection');
    assert.ok(
      s.logs.some((l) => l.startsWith('error fatal') && l.includes('injected failure in advance')),
      `the node failed with the error:\n  ${s.logs.join('\n  ')}`,
    );
    const late = await s.leader.propose(new Put('late', 'late')).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(late instanceof StoppedError, `the node refuses new work: ${String(late)}`);
  });
});

test.run();
