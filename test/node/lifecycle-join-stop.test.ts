// A membership change asked of the leader just before stop(): stop() fails what is pending with
// StoppedError, so the join() must reject at once with StoppedError, not wait out
// requestTimeoutMs and reject with TimeoutError (outcome unknown) with a timer left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoppedError } from '../../src/errors.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand, kvSnapshot } from '../support/node-cluster.js';

const network = new MemoryNetwork();
const roots: string[] = [];
const REQUEST_TIMEOUT_MS = 3000;

async function waitFor(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('join() on the leader racing stop() rejects with StoppedError at once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-review-lifecycle-'));
  roots.push(root);
  const kv = new Kv();
  const node = await Node.create<Kv>({
    port: 9201,
    dataDir: join(root, 'data'),
    context: kv,
    members: 'js1:9201',
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    sync: 'none',
    logLevel: 'silent',
    transport: new MemoryTransport(network, { address: 'js1:9201', logger: { info() {}, warn() {} } }),
  });
  node.registerCommand(SetCommand);
  node.setSnapshot(kvSnapshot(kv));
  await node.start();
  await waitFor(() => node.isLeader(), 'the node to lead');
  await node.do(new SetCommand('a', '1'));

  const started = Date.now();
  const joined = node.join({ address: 'js2:9202' }).then(
    () => 'resolved' as const,
    (err: Error) => err,
  );
  await node.stop();
  const outcome = await joined;
  const ms = Date.now() - started;
  assert.instance(outcome, StoppedError, `join() ended with ${outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : outcome} after ${ms} ms`);
  assert.ok(ms < REQUEST_TIMEOUT_MS / 2, `join() took ${ms} ms to reject after stop()`);
});

test('a joiner stopped while its join request waits for an answer does not log that it asks again', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-review-lifecycle-'));
  roots.push(root);
  const lines: string[] = [];
  // Its seed never starts: the request waits for an answer until stop() refuses it.
  const joiner = await Node.create<Kv>({
    port: 9212,
    dataDir: join(root, 'joiner'),
    context: new Kv(),
    members: 'js11:9211',
    join: true,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    sync: 'none',
    logLevel: 'info',
    logger: (_level, line) => void lines.push(line),
    transport: new MemoryTransport(network, { address: 'js12:9212', logger: { info() {}, warn() {} } }),
  });
  joiner.registerCommand(SetCommand);
  await joiner.start();
  await waitFor(() => lines.some((l) => l.startsWith('asking js11:9211 to add this node')), 'the join request');
  await joiner.stop();
  const afterAsk = lines.slice(lines.findIndex((l) => l.startsWith('asking js11:9211')) + 1);
  assert.equal(afterAsk.filter((l) => /asking again/.test(l)), [], `lines after the request: ${JSON.stringify(afterAsk)}`);
});

test.after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

test.run();
