// From a mutation review of src/peer-outbox.ts (PeerOutbox), with a fake OutboxHost and transport: the
// commit-notice rule (only a batch of lone commit notices waits 2 ms), one peer without an address
// costing no other peer its messages, a chunk that could not be read never sent empty, every
// chunk (even of one byte) filled from disk, the transport flushed after a lane's batch, no
// chunk read once the node stopped, and discard taking messages back from the transport's queue
// and from a lane waiting for a chunk's read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMIT_NOTICE, type Message, type NodeId, type SnapshotMeta } from '../../src/core/index.js';
import { PeerOutbox, type OutboxHost } from '../../src/peer-outbox.js';
import type { Transport } from '../../src/transport/types.js';

interface Sent {
  how: 'send' | 'sendSoon';
  to: string;
  messages: readonly Message[];
  withinMs?: number;
}

const META = { index: 10, term: 1, membership: [], size: 100 } as unknown as SnapshotMeta;

function fakeHost(read: (offset: number, length: number) => Promise<Uint8Array | undefined | 'gone'> = async (_o, n) => new Uint8Array(n).fill(7)) {
  const sent: Sent[] = [];
  const reads: Array<{ offset: number; length: number }> = [];
  let flushes = 0;
  const state = { running: true };
  const discards: string[] = [];
  const transport = {
    discard: (to: string) => void discards.push(to),
    send: (to: string, messages: readonly Message[]) => void sent.push({ how: 'send', to, messages }),
    sendSoon: (to: string, messages: readonly Message[], withinMs: number) => void sent.push({ how: 'sendSoon', to, messages, withinMs }),
    flush: () => void flushes++,
  } as unknown as Transport;
  const host: OutboxHost = {
    transport: () => transport,
    addressOf: (id: NodeId) => (id === 99 ? undefined : `peer-${id}`),
    running: () => state.running,
    readChunk: (_meta, offset, length) => {
      reads.push({ offset, length });
      return read(offset, length);
    },
    snapshotUnavailable: () => undefined,
    fail: (err) => {
      throw err;
    },
  };
  return { host, sent, reads, state, discards, flushes: () => flushes };
}

function append(to: number, entries: number, notice = false): Message {
  const m = { type: 'append', from: 1, to, term: 1, prevIndex: 5, prevTerm: 1, entries: Array.from({ length: entries }, (_, i) => ({ index: 6 + i, term: 1, type: 0, data: new Uint8Array() })), commit: 5 } as unknown as Message & { [COMMIT_NOTICE]?: true };
  if (notice) m[COMMIT_NOTICE] = true;
  return m;
}

function chunk(to: number, offset: number, length: number): Message {
  return { type: 'snapshot', from: 1, to, term: 1, meta: META, offset, length, data: new Uint8Array(), done: false } as unknown as Message;
}

test('a batch of lone commit notices waits 2 ms to share a frame (sendSoon); any other batch leaves at once', () => {
  const f = fakeHost();
  const outbox = new PeerOutbox(f.host);
  outbox.send([append(2, 0, true), append(3, 0, true), append(3, 1)]);
  const to2 = f.sent.find((s) => s.to === 'peer-2')!;
  const to3 = f.sent.find((s) => s.to === 'peer-3')!;
  assert.is(to2.how, 'sendSoon', 'a lone commit notice is held');
  assert.is(to2.withinMs, 2);
  assert.is(to3.how, 'send', 'a commit notice beside an append leaves with it, at once');
  assert.is(to3.messages.length, 2);
});

test('messages to a peer whose address is unknown are dropped without dropping the other peers’', () => {
  const f = fakeHost();
  const outbox = new PeerOutbox(f.host);
  outbox.send([append(99, 1), append(2, 1), append(3, 1)]);
  assert.equal(f.sent.map((s) => s.to).sort(), ['peer-2', 'peer-3']);
});

test('a snapshot chunk whose bytes could not be read is not sent (empty); the rest of its lane is', async () => {
  const f = fakeHost(async (offset, n) => (offset === 0 ? undefined : new Uint8Array(n).fill(7)));
  const outbox = new PeerOutbox(f.host);
  outbox.send([chunk(2, 0, 10), chunk(2, 10, 10), append(2, 1)]);
  await outbox.drained();
  const messages = f.sent.flatMap((s) => s.messages);
  assert.equal(
    messages.map((m) => (m.type === 'snapshot' ? `chunk@${m.offset}:${m.data.length}` : m.type)),
    ['chunk@10:10', 'append'],
  );
});

test('every snapshot chunk with bytes, even a one-byte one, is filled from the snapshot file before it leaves', async () => {
  const f = fakeHost();
  const outbox = new PeerOutbox(f.host);
  outbox.send([chunk(2, 99, 1)]);
  await outbox.drained();
  assert.equal(f.reads, [{ offset: 99, length: 1 }]);
  const m = f.sent.flatMap((s) => s.messages)[0]!;
  assert.ok(m.type === 'snapshot' && m.data.length === 1, 'sent with its byte');
});

test("a lane's batch is flushed to the transport once sent (it left after the run loop's own flush)", async () => {
  const f = fakeHost();
  const outbox = new PeerOutbox(f.host);
  outbox.send([chunk(2, 0, 10)]);
  await outbox.drained();
  assert.is(f.sent.length, 1);
  assert.is(f.flushes(), 1);
});

test('no snapshot chunk is read once the node stopped', async () => {
  let release!: () => void;
  const first = new Promise<void>((resolve) => (release = resolve));
  const f = fakeHost(async (offset, n) => {
    if (offset === 0) await first;
    return new Uint8Array(n);
  });
  const outbox = new PeerOutbox(f.host);
  outbox.send([chunk(2, 0, 10), chunk(2, 10, 10)]);
  await new Promise((resolve) => setImmediate(resolve));
  f.state.running = false;
  release();
  await outbox.drained();
  assert.equal(f.reads.map((r) => r.offset), [0], 'read a chunk after the stop');
  assert.is(f.sent.length, 0, 'sent after the stop');
});

test("discard takes messages back from the transport's queue for the peer's address and from the peer's lane behind a chunk's read", async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const f = fakeHost(async (_offset, n) => {
    await held;
    return new Uint8Array(n);
  });
  const outbox = new PeerOutbox(f.host);
  outbox.send([chunk(2, 0, 10), chunk(2, 10, 10), append(2, 1)]);
  await new Promise((resolve) => setImmediate(resolve));
  outbox.send([append(2, 2), { type: 'voteResp', from: 1, to: 2, term: 2, granted: false } as unknown as Message]);
  outbox.discard(2, (m) => m.type !== 'voteResp');
  outbox.discard(99, () => true); // no address known: nothing to tell the transport
  release();
  await outbox.drained();
  assert.equal(f.discards, ['peer-2']);
  assert.equal(f.reads.map((r) => r.offset), [0], 'the chunk taken back during the first read was not read');
  assert.equal(f.sent.flatMap((s) => s.messages.map((m) => m.type)), ['voteResp'], 'only the message not taken back left');
});

test.run();
