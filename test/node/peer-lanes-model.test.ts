// A seeded model-based test of PeerLanes (src/peer-lanes.ts) and PeerOutbox (src/peer-outbox.ts).
// PeerLanes: random runs over 2–3 peers of batches of uniquely named items queued, dropWhere with
// random predicates (some matching items queued later), sends held on gates opened in random
// order (some with other steps before their send goes on), sends that throw (synchronously, before
// or after sending) and a report that throws; after every step the batches handed to send, the
// wire, the errors, busy, drained and dropped are compared with a reference model, and at the end
// what was observed is checked against what the lanes promise: per peer the items reach the wire
// in the order queued, none twice, none lost but by the pending bound, a failed send, or a
// dropWhere issued while it waited (never by one issued before it was queued; none that waited
// through a matching dropWhere reaches the wire); dropped counts exactly the items never handed
// to send; every drained() settles once everything queued before it was sent or dropped.
// PeerOutbox, over a fake transport whose per-address queue is delivered at random steps and
// chunk reads answered (bytes, undefined, 'gone') in random order: per-peer order, no duplicates,
// nothing lost but by a discard issued after it was sent or a failed read, no chunk read that was
// taken back, messages to an idle peer queued at once, chunks sent with their bytes.
// A failure names its seed: run it alone with SEEDS = [that seed].
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMIT_NOTICE, type Message, type NodeId, type SnapshotMeta } from '../../src/core/index.js';
import { SeededRandom } from '../../src/core/rng.js';
import { PeerLanes } from '../../src/peer-lanes.js';
import { PeerOutbox, type OutboxHost } from '../../src/peer-outbox.js';
import type { Transport } from '../../src/transport/types.js';

const SEEDS = Array.from({ length: 120 }, (_, i) => 1 + i * 7919);
const STEPS = 80;

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function shuffled<T>(rng: SeededRandom, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PeerLanes

/** How the send of a batch (chosen by its first item) ends once its gate opens. */
type Mode = 'ok' | 'throw' | 'throwAfter' | 'syncThrow';

interface Item {
  id: string;
  peer: number;
  n: number;
  tag: string;
  mode: Mode;
  /** The step it was queued at. */
  at: number;
}

interface Rule {
  name: string;
  peer: number;
  at: number;
  match: (item: Item) => boolean;
}

interface Call {
  peer: number;
  ids: string[];
  release: () => void;
}

/** What the model says became of an item. */
type Fate = 'wire' | 'bound' | 'dropWhere' | 'taken' | 'failed';

interface ModelLane {
  sending?: { items: Item[]; rules: Rule[]; call?: Call; released: boolean };
  pending: Item[];
}

async function runLanes(seed: number): Promise<void> {
  const rng = new SeededRandom(seed);
  const where = (what: string): string => `seed ${seed}: ${what}`;
  const peers = [1, 2, 3].slice(0, 2 + rng.int(2));
  const maxPending = 2 + rng.int(5);
  const reportThrows = rng.chance(0.3);

  let step = 0;
  const calls: Call[] = [];
  const wire = new Map<number, Array<{ id: string; at: number }>>(peers.map((p) => [p, []]));
  const errors: string[] = [];
  const lanes = new PeerLanes<number, Item>(
    (peer, batch, wanted) => {
      const gate = deferred();
      calls.push({ peer, ids: batch.map((i) => i.id), release: gate.resolve });
      const first = batch[0]!;
      if (first.mode === 'syncThrow') throw new Error(`sync ${first.id}`);
      for (const item of batch) wanted(item); // asked before the wait too (as PeerOutbox does before a read): no effect
      return gate.promise.then(() => {
        if (first.mode === 'throw') {
          if (first.n % 2) throw `failed ${first.id}`; // a rejection that is no Error
          throw new Error(`failed ${first.id}`);
        }
        for (const item of batch.filter(wanted)) wire.get(peer)!.push({ id: item.id, at: step });
        if (first.mode === 'throwAfter') throw new Error(`after ${first.id}`);
      });
    },
    (err) => {
      errors.push(err.message);
      if (reportThrows) throw new Error('the report threw');
    },
    maxPending,
  );

  // The reference model.
  const model = new Map<number, ModelLane>(peers.map((p) => [p, { pending: [] }]));
  const items = new Map<string, Item>();
  const fate = new Map<string, Fate>();
  const modelWire = new Map<number, string[]>(peers.map((p) => [p, []]));
  let modelDropped = 0;
  let expectedCalls: string[] = [];
  let expectedErrors: string[] = [];
  const rules: Rule[] = [];
  const drains: Array<{ at: number; waitingFor: string[]; settled: boolean }> = [];
  let seenCalls = 0;
  let seenErrors = 0;
  let counter = 0;

  const startBatch = (peer: number, batch: Item[]): void => {
    const lane = model.get(peer)!;
    expectedCalls.push(`${peer}:${batch.map((i) => i.id).join(',')}`);
    const first = batch[0]!;
    if (first.mode === 'syncThrow') {
      for (const item of batch) fate.set(item.id, 'failed');
      expectedErrors.push(`sync ${first.id}`);
      lane.sending = undefined; // the throw is caught at once; nothing gathered behind it yet
      return;
    }
    lane.sending = { items: batch, rules: [], released: false };
  };

  const finishReleased = (): void => {
    for (const peer of peers) {
      const lane = model.get(peer)!;
      const sending = lane.sending;
      if (!sending?.released) continue;
      const first = sending.items[0]!;
      if (first.mode === 'throw') {
        for (const item of sending.items) fate.set(item.id, 'failed');
        expectedErrors.push(`failed ${first.id}`);
      } else {
        for (const item of sending.items) {
          const taken = sending.rules.some((r) => r.match(item));
          fate.set(item.id, taken ? 'taken' : 'wire');
          if (!taken) modelWire.get(peer)!.push(item.id);
        }
        if (first.mode === 'throwAfter') expectedErrors.push(`after ${first.id}`);
      }
      lane.sending = undefined;
      if (lane.pending.length > 0) {
        const next = lane.pending;
        lane.pending = [];
        startBatch(peer, next);
      }
    }
  };

  /** Compares the lanes with the model after a step. */
  const check = (what: string): void => {
    const at = `${what} (step ${step})`;
    const newCalls = calls.slice(seenCalls);
    seenCalls = calls.length;
    assert.equal(newCalls.map((c) => `${c.peer}:${c.ids.join(',')}`).sort(), expectedCalls.sort(), where(`the batches sent after ${at}`));
    for (const c of newCalls) {
      const sending = model.get(c.peer)!.sending;
      if (sending && sending.items[0]!.id === c.ids[0]) sending.call = c;
    }
    expectedCalls = [];
    const newErrors = errors.slice(seenErrors);
    seenErrors = errors.length;
    assert.equal(newErrors.sort(), expectedErrors.sort(), where(`the errors reported after ${at}`));
    expectedErrors = [];
    for (const peer of peers) {
      const ids = wire.get(peer)!.map((w) => w.id);
      assert.equal(ids, modelWire.get(peer), where(`what reached the wire for peer ${peer} after ${at}`));
      assert.is(lanes.busy(peer), model.get(peer)!.sending !== undefined, where(`busy(${peer}) after ${at}`));
    }
    assert.not.ok(lanes.busy(99), where('a peer never sent to is not busy'));
    const anyBusy = peers.some((p) => lanes.busy(p));
    assert.is(lanes.drained() === undefined, !anyBusy, where(`drained() is undefined iff no lane is busy, after ${at}`));
    assert.is(lanes.dropped, modelDropped, where(`dropped after ${at}`));
    for (const d of drains) {
      if (!d.settled) continue;
      const open = d.waitingFor.filter((id) => !fate.has(id));
      assert.equal(open, [], where(`drained() taken at step ${d.at} settled with items queued before it not yet sent`));
    }
  };

  const randomRule = (peer: number): Rule => {
    const lane = model.get(peer)!;
    const here = [...(lane.sending?.items ?? []), ...lane.pending];
    const base = { peer, at: step };
    switch (rng.int(7)) {
      case 0: {
        const tag = rng.pick(['hb', 'app', 'snap']);
        return { ...base, name: `tag ${tag}`, match: (i) => i.tag === tag };
      }
      case 1: {
        const parity = rng.int(2);
        return { ...base, name: `n % 2 === ${parity}`, match: (i) => i.n % 2 === parity };
      }
      case 2: {
        const cutoff = Math.max(0, counter - rng.int(6));
        return { ...base, name: `n < ${cutoff}`, match: (i) => i.n < cutoff };
      }
      case 3: {
        // Matches items queued later too: the drop must not reach them.
        const from = Math.max(0, counter - rng.int(4));
        return { ...base, name: `n >= ${from}`, match: (i) => i.n >= from };
      }
      case 4:
        return { ...base, name: 'all', match: () => true };
      case 5:
        return { ...base, name: 'none', match: () => false };
      default: {
        const chosen = new Set(here.filter(() => rng.chance(0.5)).map((i) => i.id));
        return { ...base, name: `ids ${[...chosen].join(',')}`, match: (i) => chosen.has(i.id) };
      }
    }
  };

  const enqueue = (peer: number): void => {
    const size = rng.chance(0.1) ? maxPending + 1 + rng.int(2) : 1 + rng.int(3);
    const batch: Item[] = [];
    for (let k = 0; k < size; k++) {
      const n = counter++;
      const r = rng.next();
      const mode: Mode = r < 0.8 ? 'ok' : r < 0.87 ? 'throw' : r < 0.94 ? 'throwAfter' : 'syncThrow';
      const item: Item = { id: `p${peer}i${n}`, peer, n, tag: rng.pick(['hb', 'app', 'snap']), mode, at: step };
      items.set(item.id, item);
      batch.push(item);
    }
    const lane = model.get(peer)!;
    if (lane.sending) {
      lane.pending.push(...batch);
      const over = lane.pending.length - maxPending;
      if (over > 0) {
        for (const item of lane.pending.splice(0, over)) fate.set(item.id, 'bound');
        modelDropped += over;
      }
    } else {
      startBatch(peer, batch);
    }
    lanes.enqueue(peer, batch);
    check(`enqueue(${peer}, ${batch.map((i) => i.id).join(',')})`);
  };

  const dropWhere = (peer: number): void => {
    const rule = randomRule(peer);
    const lane = model.get(peer)!;
    let expected = 0;
    if (lane.sending) {
      lane.sending.rules.push(rule);
      const kept: Item[] = [];
      for (const item of lane.pending) {
        if (rule.match(item)) {
          fate.set(item.id, 'dropWhere');
          expected++;
        } else kept.push(item);
      }
      lane.pending = kept;
      modelDropped += expected;
    }
    rules.push(rule);
    const got = lanes.dropWhere(peer, rule.match);
    assert.is(got, expected, where(`dropWhere(${peer}, ${rule.name}) at step ${step} says how many pending items it dropped`));
    check(`dropWhere(${peer}, ${rule.name})`);
  };

  const release = (peer: number): void => {
    const sending = model.get(peer)!.sending!;
    assert.ok(sending.call, where(`a send of peer ${peer}'s batch ${sending.items.map((i) => i.id).join(',')}`));
    sending.released = true;
    sending.call.release();
  };

  const settleStep = async (what: string): Promise<void> => {
    await settle();
    finishReleased();
    check(what);
  };

  for (step = 1; step <= STEPS; step++) {
    const peer = rng.pick(peers);
    const r = rng.next();
    if (r < 0.35) enqueue(peer);
    else if (r < 0.5) dropWhere(peer);
    else if (r < 0.72) {
      const held = peers.filter((p) => model.get(p)!.sending && !model.get(p)!.sending!.released);
      if (held.length === 0) continue;
      const p = rng.pick(held);
      release(p);
      // Often other steps come between a gate opening and its send going on.
      if (rng.chance(0.5)) await settleStep(`release(${p})`);
    } else if (r < 0.8) {
      const held = shuffled(
        rng,
        peers.filter((p) => model.get(p)!.sending && !model.get(p)!.sending!.released),
      ).filter(() => rng.chance(0.7));
      for (const p of held) release(p);
      await settleStep(`release(${held.join(',')})`);
    } else if (r < 0.95) await settleStep('settle');
    else {
      const drained = lanes.drained();
      if (!drained) continue;
      const d = { at: step, waitingFor: [...items.keys()].filter((id) => !fate.has(id)), settled: false };
      drains.push(d);
      void drained.then(() => (d.settled = true));
    }
  }

  // Let everything go: every gate opens, in random order, until no lane is busy.
  for (let round = 0; peers.some((p) => model.get(p)!.sending); round++) {
    assert.ok(round < 1000, where('the lanes settle once every gate opens'));
    for (const p of shuffled(rng, peers)) if (model.get(p)!.sending && !model.get(p)!.sending!.released) release(p);
    step++;
    await settleStep('the final release');
  }
  await settle();
  assert.is(lanes.drained(), undefined, where('drained() is undefined once every lane ran dry'));
  for (const d of drains) assert.ok(d.settled, where(`drained() taken at step ${d.at} settled once every lane ran dry`));
  for (const id of items.keys()) assert.ok(fate.has(id), where(`${id} was neither sent nor dropped`));

  // The invariants, from what was observed (the wire, the sends, the drops issued) and, for the
  // bound alone, the model.
  const sentIn = new Map<string, Call>();
  for (const c of calls) for (const id of c.ids) {
    assert.not.ok(sentIn.has(id), where(`${id} was handed to send twice`));
    sentIn.set(id, c);
  }
  const wireAt = new Map<string, number>();
  for (const peer of peers) {
    let last = -1;
    for (const { id, at } of wire.get(peer)!) {
      const item = items.get(id)!;
      // (1) order kept: the wire is a subsequence of the order queued.
      assert.ok(item.peer === peer && item.n > last, where(`${id} reached peer ${peer}'s wire out of the order queued`));
      last = item.n;
      // (2) none sent twice.
      assert.not.ok(wireAt.has(id), where(`${id} reached the wire twice`));
      wireAt.set(id, at);
    }
  }
  let neverSent = 0;
  for (const item of items.values()) {
    const matching = rules.filter((r) => r.peer === item.peer && r.match(item));
    const sentAt = wireAt.get(item.id);
    if (sentAt !== undefined) {
      // A dropWhere issued while the item waited (pending or in the batch being sent) takes it back.
      const missed = matching.find((r) => r.at >= item.at && r.at < sentAt);
      assert.not.ok(missed, where(`${item.id} (queued at step ${item.at}) reached the wire at step ${sentAt} though dropWhere(${missed?.name}) at step ${missed?.at} matched it`));
    } else {
      const call = sentIn.get(item.id);
      const failedSend = call !== undefined && ['throw', 'syncThrow'].includes(items.get(call.ids[0]!)!.mode);
      const bound = fate.get(item.id) === 'bound';
      if (!failedSend && !bound) {
        // (3) nothing lost but to the bound, a failed send, or a dropWhere matching it...
        assert.ok(matching.length > 0, where(`${item.id} was lost: no dropWhere matched it, not dropped by the bound, its send did not fail`));
        // (4) ...issued after it was queued (one issued before it never drops it).
        assert.ok(
          matching.some((r) => r.at >= item.at),
          where(`${item.id} (queued at step ${item.at}) was dropped, matched only by dropWhere issued before it: ${matching.map((r) => `${r.name}@${r.at}`).join('; ')}`),
        );
      }
    }
    if (!sentIn.has(item.id)) neverSent++;
  }
  // (5) dropped counts exactly the items taken from pending batches: those never handed to send.
  assert.is(lanes.dropped, neverSent, where('dropped counts the items never handed to send'));
  assert.is(lanes.dropped, modelDropped, where('dropped counts the bound and the dropWhere of pending items'));
}

test('PeerLanes against a reference model: order, no duplicates, nothing lost but by the bound, a failed send or a later dropWhere; dropped, busy, drained', async () => {
  for (const seed of SEEDS) await runLanes(seed);
});

// ---------------------------------------------------------------------------------------------
// PeerOutbox

const META = { index: 10, term: 1, membership: [], size: 1000 } as unknown as SnapshotMeta;

type Kind = 'append' | 'notice' | 'chunk' | 'done' | 'voteResp';

interface Rec {
  id: number;
  peer: NodeId;
  kind: Kind;
  at: number;
}

interface Discard {
  name: string;
  peer: NodeId;
  at: number;
  match: (m: Message) => boolean;
}

interface Read {
  id: number;
  at: number;
  resolve: (data: Uint8Array | undefined | 'gone') => void;
  outcome?: 'bytes' | 'undefined' | 'gone';
}

async function runOutbox(seed: number): Promise<void> {
  const rng = new SeededRandom(seed);
  const where = (what: string): string => `seed ${seed} (outbox): ${what}`;
  const peers: NodeId[] = [2, 3, 4].slice(0, 2 + rng.int(2));
  const addressOf = (id: NodeId): string => `peer-${id}`;

  let step = 0;
  const recs = new Map<Message, Rec>();
  const byId = new Map<number, { m: Message; rec: Rec }>();
  const queues = new Map<string, Message[]>(peers.map((p) => [addressOf(p), []]));
  const wire = new Map<NodeId, Array<{ m: Message; at: number }>>(peers.map((p) => [p, []]));
  const reads: Read[] = [];
  const answered: Read[] = [];
  const unavailable: NodeId[] = [];
  const failures: Error[] = [];
  const transport = {
    send: (to: string, messages: readonly Message[]) => void queues.get(to)!.push(...messages),
    sendSoon: (to: string, messages: readonly Message[], withinMs: number) => {
      assert.ok(messages.every((m) => m.type === 'append' && m[COMMIT_NOTICE]), where('only lone commit notices wait'));
      assert.is(withinMs, 2);
      queues.get(to)!.push(...messages);
    },
    discard: (to: string, which: (m: Message) => boolean) => void queues.set(to, queues.get(to)!.filter((m) => !which(m))),
    flush: () => undefined,
  } as unknown as Transport;
  const host: OutboxHost = {
    transport: () => transport,
    addressOf: (id) => (peers.includes(id) ? addressOf(id) : undefined),
    running: () => true,
    readChunk: (meta, offset, length) => {
      assert.is(meta, META);
      const id = offset / 10;
      const { m } = byId.get(id)!;
      assert.ok(m.type === 'snapshot' && m.length === length, where(`read ${id}: its own offset and length`));
      const d = deferred<Uint8Array | undefined | 'gone'>();
      reads.push({ id, at: step, resolve: d.resolve });
      return d.promise;
    },
    snapshotUnavailable: (peer, meta) => {
      assert.is(meta, META);
      unavailable.push(peer);
    },
    fail: (err) => void failures.push(err),
  };
  const outbox = new PeerOutbox(host);
  const discards: Discard[] = [];
  let counter = 0;

  const unresolved = (peer?: NodeId): Read[] => reads.filter((r) => !r.outcome && (peer === undefined || byId.get(r.id)!.rec.peer === peer));

  const make = (kind: Kind, to: NodeId): Message => {
    const id = counter++;
    const base = { from: 1, to, term: 1 };
    let m: Message;
    switch (kind) {
      case 'append':
      case 'notice':
        m = { ...base, type: 'append', prevIndex: id, prevTerm: 1, entries: [], commit: 0 } as Message;
        if (kind === 'notice') (m as { [COMMIT_NOTICE]?: true })[COMMIT_NOTICE] = true;
        break;
      case 'chunk':
      case 'done':
        m = { ...base, type: 'snapshot', meta: META, offset: id * 10, length: kind === 'chunk' ? 1 + rng.int(8) : 0, data: new Uint8Array(), done: kind === 'done' };
        break;
      default:
        m = { ...base, type: 'voteResp', preVote: false, reject: false };
    }
    const rec = { id, peer: to, kind, at: step };
    recs.set(m, rec);
    byId.set(id, { m, rec });
    return m;
  };

  const check = (what: string): void => {
    const at = `${what} (step ${step})`;
    assert.equal(failures, [], where(`no lane's send failed, after ${at}`));
    assert.is(outbox.drained() === undefined, unresolved().length === 0, where(`drained() is undefined iff no chunk read is pending, after ${at}`));
  };

  const send = (): void => {
    const count = 1 + rng.int(4);
    const messages: Message[] = [];
    for (let k = 0; k < count; k++) {
      const r = rng.next();
      const kind: Kind = r < 0.3 ? 'append' : r < 0.5 ? 'notice' : r < 0.75 ? 'chunk' : r < 0.85 ? 'done' : 'voteResp';
      messages.push(make(kind, rng.pick(peers)));
    }
    const waiting = new Set(peers.filter((p) => unresolved(p).length > 0 || messages.some((m) => m.to === p && recs.get(m)!.kind === 'chunk')));
    outbox.send(messages);
    for (const m of messages) {
      const queued = queues.get(addressOf(m.to))!.includes(m);
      // A peer with nothing in its lane gets its messages at once; the others' wait in the lane.
      assert.is(queued, !waiting.has(m.to), where(`message ${recs.get(m)!.id} (${recs.get(m)!.kind} to ${m.to}) at step ${step}: queued at once iff its peer's lane was idle and it came with no chunk`));
    }
    check('send');
  };

  const discard = (peer: NodeId): void => {
    const base = { peer, at: step };
    let d: Discard;
    switch (rng.int(6)) {
      case 0:
        d = { ...base, name: 'replication', match: (m) => m.type === 'append' || m.type === 'snapshot' };
        break;
      case 1: {
        const type = rng.pick(['append', 'snapshot', 'voteResp']);
        d = { ...base, name: `type ${type}`, match: (m) => m.type === type };
        break;
      }
      case 2: {
        const parity = rng.int(2);
        d = { ...base, name: `id % 2 === ${parity}`, match: (m) => recs.get(m)!.id % 2 === parity };
        break;
      }
      case 3: {
        const from = Math.max(0, counter - rng.int(4));
        d = { ...base, name: `id >= ${from}`, match: (m) => recs.get(m)!.id >= from };
        break;
      }
      case 4:
        d = { ...base, name: 'all', match: () => true };
        break;
      default:
        d = { ...base, name: 'none', match: () => false };
    }
    discards.push(d);
    outbox.discard(peer, d.match);
    check(`discard(${peer}, ${d.name})`);
  };

  const resolveRead = async (read: Read): Promise<void> => {
    const r = rng.next();
    read.outcome = r < 0.8 ? 'bytes' : r < 0.9 ? 'undefined' : 'gone';
    answered.push(read);
    const { m } = byId.get(read.id)!;
    const length = m.type === 'snapshot' ? m.length : 0;
    read.resolve(read.outcome === 'bytes' ? new Uint8Array(length).fill(read.id % 256) : read.outcome === 'undefined' ? undefined : 'gone');
    await settle();
    check(`read ${read.id} answered ${read.outcome}`);
  };

  const deliver = (peer: NodeId): void => {
    const queue = queues.get(addressOf(peer))!;
    for (const m of queue) wire.get(peer)!.push({ m, at: step });
    queues.set(addressOf(peer), []);
  };

  for (step = 1; step <= STEPS; step++) {
    const peer = rng.pick(peers);
    const r = rng.next();
    if (r < 0.35) send();
    else if (r < 0.5) discard(peer);
    else if (r < 0.75) {
      const open = unresolved();
      if (open.length > 0) await resolveRead(rng.pick(open));
    } else if (r < 0.9) deliver(peer);
    else {
      await settle();
      check('settle');
    }
  }
  for (let round = 0; unresolved().length > 0; round++) {
    assert.ok(round < 1000, where('the lanes settle once every read returns'));
    step++;
    await resolveRead(rng.pick(unresolved()));
  }
  await settle();
  assert.is(outbox.drained(), undefined, where('drained() is undefined once every read returned'));
  step++;
  for (const peer of peers) deliver(peer);

  const readOf = new Map<number, Read>();
  for (const read of reads) {
    assert.not.ok(readOf.has(read.id), where(`chunk ${read.id} read twice`));
    readOf.set(read.id, read);
    const rec = byId.get(read.id)!.rec;
    assert.is(rec.kind, 'chunk', where(`only chunks with bytes are read (${read.id})`));
    const missed = discards.find((d) => d.peer === rec.peer && d.at >= rec.at && d.at < read.at && d.match(byId.get(read.id)!.m));
    assert.not.ok(missed, where(`chunk ${read.id} was read at step ${read.at} though discard(${missed?.name}) at step ${missed?.at} took it back`));
  }
  const gone = answered.filter((r) => r.outcome === 'gone').map((r) => byId.get(r.id)!.rec.peer);
  assert.equal(unavailable, gone, where("snapshotUnavailable once per read answered 'gone', for its peer"));

  const wireAt = new Map<number, number>();
  for (const peer of peers) {
    let last = -1;
    for (const { m, at } of wire.get(peer)!) {
      const rec = recs.get(m)!;
      assert.ok(rec.peer === peer && rec.id > last, where(`message ${rec.id} reached peer ${peer} out of the order sent`));
      last = rec.id;
      assert.not.ok(wireAt.has(rec.id), where(`message ${rec.id} reached the wire twice`));
      wireAt.set(rec.id, at);
      if (rec.kind === 'chunk') {
        assert.ok(m.type === 'snapshot' && m.data.length === m.length && m.data[0] === rec.id % 256, where(`chunk ${rec.id} left with its bytes`));
        assert.is(readOf.get(rec.id)?.outcome, 'bytes', where(`chunk ${rec.id} left though its read failed`));
      }
    }
  }
  for (const [m, rec] of recs) {
    const matching = discards.filter((d) => d.peer === rec.peer && d.match(m));
    const sentAt = wireAt.get(rec.id);
    if (sentAt !== undefined) {
      const missed = matching.find((d) => d.at >= rec.at && d.at < sentAt);
      assert.not.ok(missed, where(`message ${rec.id} (${rec.kind}, sent at step ${rec.at}) reached the wire at step ${sentAt} though discard(${missed?.name}) at step ${missed?.at} took it back`));
      continue;
    }
    const readFailed = rec.kind === 'chunk' && readOf.get(rec.id)?.outcome !== undefined && readOf.get(rec.id)!.outcome !== 'bytes';
    if (readFailed) continue;
    assert.ok(
      matching.some((d) => d.at >= rec.at),
      where(`message ${rec.id} (${rec.kind}, sent at step ${rec.at}) was lost: no discard issued after it matched it, and it is no chunk whose read failed`),
    );
  }
}

test('PeerOutbox against a reference model: per-peer order, no duplicates, nothing lost but by discard or a failed read, routing, drained', async () => {
  for (const seed of SEEDS) await runOutbox(seed);
});

test.run();
