// Reads asked while start() runs wait for it. One asked during a start that succeeds and is then
// stopped (stop() during the start, or right after it resolves, before a tick or leader change woke
// the read) answers 'stopped', as a read asked of a running node does, not 'refused' (no leader);
// and a read rejected with NotStartedError (its start failed) is not counted as a refused read.
// Found in review: the start-failed check ran before the stopping one, and the count before the
// rejection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { NotStartedError } from '../../src/index.js';
import type { Transport } from '../../src/transport/types.js';
import type { ReadOutcome } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand } from '../support/node-cluster.js';

/** One member of three (the others never start): no leader is known for a while after start(). */
async function lonelyMember(dataDir: string, network: MemoryNetwork, failStart = false): Promise<Node<Kv>> {
  const address = 'n1:9001';
  const memory = new MemoryTransport(network, { address, logger: { info() {}, warn() {} } });
  const transport: Transport = failStart ? Object.assign(Object.create(memory) as Transport, { start: () => Promise.reject(new Error('address in use')) }) : memory;
  const node = await Node.create<Kv>({
    port: 9001,
    dataDir,
    context: new Kv(),
    members: 'n1:9001;n2:9002;n3:9003',
    heartbeatMs: 50,
    electionTimeoutMs: 1000,
    requestTimeoutMs: 10_000,
    leaderWaitMs: 5_000,
    sync: 'none',
    logLevel: 'silent',
    transport,
  });
  node.registerCommand(SetCommand);
  return node;
}

async function withNode(body: (node: Node<Kv>) => Promise<void>, failStart = false): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-review-read-start-'));
  const network = new MemoryNetwork();
  try {
    await body(await lonelyMember(join(root, 'data'), network, failStart));
  } finally {
    network.close();
    await rm(root, { recursive: true, force: true });
  }
}

test('control: a read asked of a running node that knows no leader, then stop(): stopped', async () => {
  await withNode(async (node) => {
    await node.start();
    const read = node.confirmRead('index');
    await node.stop();
    assert.is(await read, 'stopped');
  });
});

test('a read asked while start() runs, with stop() called during the (successful) start: stopped, not refused', async () => {
  await withNode(async (node) => {
    const starting = node.start();
    const read: Promise<ReadOutcome | string> = node.confirmRead('index').catch((e: Error) => `rejected ${e.name}`);
    const stopping = node.stop();
    await starting;
    await stopping;
    assert.is(await read, 'stopped');
  });
});

test('a read asked while start() runs, with stop() right after the start resolves: stopped, not refused', async () => {
  await withNode(async (node) => {
    const starting = node.start();
    const read: Promise<ReadOutcome | string> = node.confirmRead('lease').catch((e: Error) => `rejected ${e.name}`);
    await starting;
    await node.stop();
    assert.is(await read, 'stopped');
  });
});

test('a read rejected with NotStartedError (asked during a start that failed) is not counted as a refused read in server_reads_total, as one asked before start() is not', async () => {
  await withNode(async (node) => {
    const before = await node.confirmRead('index').catch((e: unknown) => e);
    assert.instance(before, NotStartedError);
    const starting = node.start();
    const read = node.confirmRead('index').catch((e: unknown) => e);
    await starting.catch(() => undefined);
    assert.instance(await read, NotStartedError);
    const text = await node.metrics();
    const refused = text.split('\n').filter((l) => l.includes('server_reads_total') && l.includes('outcome="refused"') && !l.startsWith('#'));
    assert.ok(refused.every((l) => / 0$/.test(l)), `a read the API rejected as never started is counted as refused: ${refused.join(' | ')}`);
  }, true);
});

test.run();
