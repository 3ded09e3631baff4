// What a read, or admitted(), asked while a start() that then fails is under way answers: a
// NotStartedError as soon as the start fails, as documented for a start() that failed (found in a
// JSDoc audit: the read waited out requestTimeoutMs and resolved false; admitted() rejected with
// the start's own error, now its cause).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NotStartedError } from '../../src/index.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/types.js';
import { Kv, SetCommand } from '../support/node-cluster.js';

const REQUEST_TIMEOUT_MS = 10_000;

/** A one-member node whose transport fails to start: its start() rejects after opening the WAL. */
async function nodeWhoseStartFails(dataDir: string, network: MemoryNetwork): Promise<Node<Kv>> {
  const address = 'n1:9001';
  const transport = new MemoryTransport(network, { address, logger: { info() {}, warn() {} } });
  const failing: Transport = Object.assign(Object.create(transport) as Transport, {
    start: () => Promise.reject(new Error('address in use')),
  });
  const node = await Node.create<Kv>({
    port: 9001,
    dataDir,
    context: new Kv(),
    members: address,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    sync: 'none',
    logLevel: 'silent',
    transport: failing,
  });
  node.registerCommand(SetCommand);
  return node;
}

async function withFailingStart(body: (node: Node<Kv>) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-failed-start-'));
  const network = new MemoryNetwork();
  try {
    await body(await nodeWhoseStartFails(join(root, 'data'), network));
  } finally {
    network.close();
    await rm(root, { recursive: true, force: true });
  }
}

test('readIndex() asked while a start() that fails runs rejects with NotStartedError, as documented for a start() that failed', async () => {
  await withFailingStart(async (node) => {
    const starting = node.start();
    const asked = performance.now();
    const read = node.readIndex().then(
      (confirmed) => ({ confirmed, ms: performance.now() - asked }),
      (error: unknown) => ({ error, ms: performance.now() - asked }),
    );
    const startError = await starting.then(() => undefined, (e: Error) => e);
    assert.ok(startError, 'the start failed');
    const outcome = await read;
    assert.ok(outcome.ms < REQUEST_TIMEOUT_MS, `answered when the start failed, not at requestTimeoutMs (${Math.round(outcome.ms)} ms)`);
    assert.ok(
      'error' in outcome && outcome.error instanceof NotStartedError,
      `the read ${'error' in outcome ? `rejected with ${String(outcome.error)}` : `resolved ${String(outcome.confirmed)}`} after ${Math.round(outcome.ms)} ms (requestTimeoutMs ${REQUEST_TIMEOUT_MS}), not NotStartedError`,
    );
  });
});

test('admitted() asked while a start() that fails runs rejects with NotStartedError, as documented for a start() that failed', async () => {
  await withFailingStart(async (node) => {
    const starting = node.start();
    const admitted = node.admitted().then(() => undefined, (e: unknown) => e);
    await starting.catch(() => undefined);
    const error = await admitted;
    assert.ok(error instanceof NotStartedError, `admitted() rejected with ${String(error)}`);
    assert.match(String((error as Error).cause), /address in use/, 'the start\'s error is its cause');
  });
});

test.run();
