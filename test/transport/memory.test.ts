import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from '../../src/core/messages.js';
import { SeededRandom } from '../../src/core/rng.js';
import { MemoryNetwork, MemoryTransport, type NetworkFaults } from '../../src/transport/memory.js';
import { ALL_EXAMPLES, CollectingLogger, numbered, sleep } from './fixtures.js';

interface Node {
  t: MemoryTransport;
  inbox: Array<{ from: string; messages: Message[] }>;
}

/** Start transports a, b, c (all peers of each other) on `net`. */
async function cluster(net: MemoryNetwork, logger = new CollectingLogger(), names = ['a', 'b', 'c']): Promise<Map<string, Node>> {
  const nodes = new Map<string, Node>();
  for (const name of names) {
    const t = new MemoryTransport(net, { address: name, logger });
    const node: Node = { t, inbox: [] };
    t.onMessages((from, messages) => node.inbox.push({ from, messages }));
    t.setPeers(names.filter((n) => n !== name));
    await t.start();
    nodes.set(name, node);
  }
  return nodes;
}

const received = (node: Node, from?: string): Message[] => node.inbox.filter((b) => from === undefined || b.from === from).flatMap((b) => b.messages);
const commitsOf = (ms: Message[]): number[] => ms.map((m) => (m.type === 'heartbeat' ? m.commit : -1));

async function stopAll(net: MemoryNetwork, nodes: Map<string, Node>): Promise<void> {
  for (const n of nodes.values()) await n.t.stop();
  net.close();
}

test('messages are delivered with the sender address, re-decoded (equal, not the same objects)', async () => {
  const net = new MemoryNetwork();
  const nodes = await cluster(net);
  nodes.get('a')!.t.send('b', ALL_EXAMPLES);
  nodes.get('c')!.t.send('b', [numbered(7)]);
  await net.settle();
  const b = nodes.get('b')!;
  assert.equal(received(b, 'a'), ALL_EXAMPLES);
  assert.is.not(received(b, 'a')[0], ALL_EXAMPLES[0], 'the receiver gets a decoded copy');
  assert.equal(commitsOf(received(b, 'c')), [7]);
  const stats = b.t.stats().peers;
  assert.is(stats.a!.received, ALL_EXAMPLES.length);
  assert.is(nodes.get('a')!.t.stats().peers.b!.sent, ALL_EXAMPLES.length);
  await stopAll(net, nodes);
});

test('sends in one turn of the event loop coalesce into one batch per peer', async () => {
  const net = new MemoryNetwork();
  const nodes = await cluster(net);
  const a = nodes.get('a')!.t;
  for (let i = 0; i < 100; i++) a.send('b', [numbered(i)]);
  await Promise.resolve(); // promise continuations of the same turn still coalesce
  a.send('b', [numbered(100)]);
  await net.settle();
  const b = nodes.get('b')!;
  assert.is(b.inbox.length, 1);
  assert.equal(commitsOf(received(b)), Array.from({ length: 101 }, (_, i) => i));
  assert.is(a.stats().peers.b!.batchesSent, 1);
  await stopAll(net, nodes);
});

test('a message that does not validate is caught at the receiver, logged and counted (encoding bugs surface)', async () => {
  const net = new MemoryNetwork();
  const logger = new CollectingLogger();
  const nodes = await cluster(net, logger);
  const bad = { ...numbered(1), commit: 'soon' } as unknown as Message;
  nodes.get('a')!.t.send('b', [bad]);
  await net.settle();
  assert.is(nodes.get('b')!.inbox.length, 0);
  assert.is(nodes.get('b')!.t.stats().peers.a!.decodeErrors, 1);
  assert.is(logger.matching('(heartbeat).commit must be a non-negative integer, got string').length, 1);
  await stopAll(net, nodes);
});

test('unknown peers, stopped peers and throwing handlers never throw into the sender', async () => {
  const net = new MemoryNetwork();
  const logger = new CollectingLogger();
  const nodes = await cluster(net, logger);
  const a = nodes.get('a')!.t;
  a.send('zzz', [numbered(1), numbered(2)]);
  assert.is(a.stats().droppedUnknownPeer, 2);
  await nodes.get('c')!.t.stop();
  a.send('c', [numbered(3)]);
  nodes.get('b')!.t.onMessages(() => {
    throw new Error('handler bug');
  });
  a.send('b', [numbered(4)]);
  await net.settle();
  assert.is(net.stats().undeliverable, 1);
  assert.is(logger.matching('handler bug').length, 1);
  await stopAll(net, nodes);
});

test('partition(a, b) cuts both directions, leaves other links, and heal restores it', async () => {
  const net = new MemoryNetwork();
  const nodes = await cluster(net);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => nodes.get(n)!);
  net.partition('a', 'b');
  a!.t.send('b', [numbered(1)]);
  b!.t.send('a', [numbered(2)]);
  a!.t.send('c', [numbered(3)]);
  await net.settle();
  assert.equal(received(b!), []);
  assert.equal(received(a!), []);
  assert.equal(commitsOf(received(c!)), [3]);
  assert.is(net.stats().partitioned, 2);
  assert.not.ok(a!.t.stats().peers.b!.connected);
  assert.ok(a!.t.stats().peers.c!.connected);
  net.heal('a', 'b');
  a!.t.send('b', [numbered(4)]);
  await net.settle();
  assert.equal(commitsOf(received(b!)), [4]);
  await stopAll(net, nodes);
});

test('cut() is one-way and isolate() cuts a node from everyone; heal() with no arguments heals all', async () => {
  const net = new MemoryNetwork();
  const nodes = await cluster(net);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => nodes.get(n)!);
  net.cut('a', 'b');
  a!.t.send('b', [numbered(1)]);
  b!.t.send('a', [numbered(2)]);
  await net.settle();
  assert.equal(received(b!), []);
  assert.equal(commitsOf(received(a!)), [2]);
  net.isolate('c');
  c!.t.send('a', [numbered(3)]);
  b!.t.send('c', [numbered(4)]);
  await net.settle();
  assert.equal(received(c!), []);
  assert.equal(commitsOf(received(a!)), [2]);
  net.heal();
  a!.t.send('b', [numbered(5)]);
  c!.t.send('a', [numbered(6)]);
  await net.settle();
  assert.equal(commitsOf(received(b!)), [5]);
  assert.equal(commitsOf(received(a!)), [2, 6]);
  await stopAll(net, nodes);
});

/** Run 1000 sends from a to b under `faults` with a seeded network; return what b got. */
async function faultyRun(seed: number, faults: Partial<NetworkFaults>): Promise<{ got: number[]; net: MemoryNetwork }> {
  const rng = new SeededRandom(seed);
  const net = new MemoryNetwork({ random: () => rng.next(), faults });
  const nodes = await cluster(net);
  for (let i = 0; i < 1000; i++) {
    nodes.get('a')!.t.send('b', [numbered(i)]);
    if (i % 100 === 99) await sleep(0); // ten batches
  }
  await net.settle();
  const got = commitsOf(received(nodes.get('b')!));
  await stopAll(net, nodes);
  return { got, net };
}

test('dropRate loses about that share of messages, and the same seed loses the same messages', async () => {
  const first = await faultyRun(7, { dropRate: 0.3 });
  const again = await faultyRun(7, { dropRate: 0.3 });
  const other = await faultyRun(8, { dropRate: 0.3 });
  assert.ok(first.got.length > 620 && first.got.length < 780, `${first.got.length} of 1000 delivered`);
  assert.is(first.net.stats().dropped, 1000 - first.got.length);
  assert.equal(again.got, first.got, 'deterministic for a seed');
  assert.not.equal(other.got, first.got, 'another seed drops other messages');
  for (let i = 1; i < first.got.length; i++) assert.ok(first.got[i]! > first.got[i - 1]!, 'no delay: order is kept');
});

test('duplicateRate delivers copies in a later batch', async () => {
  const all = await faultyRun(3, { duplicateRate: 1 });
  assert.is(all.got.length, 2000);
  assert.is(all.net.stats().duplicated, 1000);
  const counts = new Map<number, number>();
  for (const n of all.got) counts.set(n, (counts.get(n) ?? 0) + 1);
  assert.ok([...counts.values()].every((c) => c === 2));
  const some = await faultyRun(3, { duplicateRate: 0.1 });
  assert.ok(some.got.length > 1050 && some.got.length < 1150, `${some.got.length}`);
});

test('delay holds batches back; jitter reorders batches deterministically per seed', async () => {
  const net = new MemoryNetwork({ faults: { delayMs: 40 } });
  const nodes = await cluster(net);
  nodes.get('a')!.t.send('b', [numbered(1)]);
  await sleep(15);
  assert.equal(received(nodes.get('b')!), [], 'not delivered before the delay');
  await net.settle();
  assert.equal(commitsOf(received(nodes.get('b')!)), [1]);
  await stopAll(net, nodes);

  const jittered = await faultyRun(11, { delayMs: 1, jitterMs: 30 });
  assert.is(jittered.got.length, 1000);
  assert.not.equal(jittered.got, [...jittered.got].sort((x, y) => x - y), 'batches overtook each other');
});

test('a partition made while a batch is in flight loses that batch; close() cancels what is in flight', async () => {
  const net = new MemoryNetwork({ faults: { delayMs: 30 } });
  const nodes = await cluster(net);
  nodes.get('a')!.t.send('b', [numbered(1)]);
  await sleep(5);
  net.partition('a', 'b');
  await net.settle();
  assert.equal(received(nodes.get('b')!), []);
  net.heal();
  nodes.get('a')!.t.send('b', [numbered(2)]);
  await sleep(5);
  net.close();
  await sleep(40);
  assert.equal(received(nodes.get('b')!), []);
  await stopAll(net, nodes);
});

test('setPeers opens and closes queues: removed peers get nothing and are forgotten in stats', async () => {
  const net = new MemoryNetwork();
  const nodes = await cluster(net);
  const a = nodes.get('a')!.t;
  a.setPeers(['b']);
  a.send('c', [numbered(1)]);
  a.send('b', [numbered(2)]);
  await net.settle();
  assert.equal(received(nodes.get('c')!), []);
  assert.equal(Object.keys(a.stats().peers), ['b']);
  assert.is(a.stats().droppedUnknownPeer, 1);
  await stopAll(net, nodes);
});

test.run();
