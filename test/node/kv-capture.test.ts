// raft-node's key-value store in a Node, snapshotted by copy-on-write capture (kvSnapshotHandler):
// writes, deletes and reads are answered while the capture is written, a capture written for
// longer than the request timeout is logged, and a restart from that snapshot holds the same
// contents (digest) as before the restart, each entry applied once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Node } from '../../src/node.js';
import { AppendCommand, DeleteCommand, KvStore, SetCommand, captureKv, installKv, kvSnapshotHandler } from '../../src/kv/index.js';
import { freePort } from '../support/ports.js';

async function startKvNode(dataDir: string, port: number, lines: string[]): Promise<Node<KvStore>> {
  const node = await Node.create({
    host: '127.0.0.1',
    port,
    dataDir,
    context: new KvStore(),
    members: `127.0.0.1:${port}`,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    requestTimeoutMs: 300,
    sync: 'none',
    logLevel: 'warn',
    logger: (level, line) => lines.push(`${level} ${line}`),
  });
  installKv(node);
  await node.start();
  const deadline = performance.now() + 5000;
  while (!node.isLeader()) {
    if (performance.now() > deadline) throw new Error('the node did not lead');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return node;
}

test('a KvStore node answers writes, deletes and reads while its capture is written; the snapshot holds the contents at its index, and a restart from it the same contents', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-kv-capture-'));
  const port = await freePort();
  const lines: string[] = [];
  let node = await startKvNode(dir, port, lines);
  try {
    for (let i = 0; i < 100; i++) await node.do(new SetCommand(`k${i}`, Buffer.from(`v${i}`)));
    // The store's own capture, written after 800 ms: past the 300 ms request timeout.
    const store = node.context;
    let writing = false;
    node.setSnapshot({
      ...kvSnapshotHandler(store),
      capture() {
        const write = captureKv(store);
        return async (w: Writable) => {
          writing = true;
          await new Promise((resolve) => setTimeout(resolve, 800));
          writing = false;
          await write(w);
        };
      },
    });
    const snapshot = node.snapshot();
    while (!writing) await new Promise((resolve) => setTimeout(resolve, 5));
    // Entries apply meanwhile: the captured keys change under the capture.
    for (let i = 0; i < 10; i++) await node.do(new SetCommand(`k${i}`, Buffer.from(`changed${i}`)));
    for (let i = 10; i < 20; i++) assert.is(await node.do(new DeleteCommand(`k${i}`)), true);
    await node.do(new AppendCommand('k20', Buffer.from('+')));
    await node.do(new SetCommand('new', Buffer.from('n')));
    assert.ok(await node.readIndex());
    assert.is(store.get('k0')?.toString(), 'changed0');
    assert.not.ok(store.has('k10'));
    assert.is(store.size, 91);
    assert.ok(writing, 'all of it answered while the capture was written');
    const index = await snapshot;
    assert.ok(lines.some((l) => /^warn the application's snapshot capture has been written for 0\.\d s; entries go on applying/.test(l)), lines.join('\n'));
    assert.ok(index < node.status().appliedIndex, `the snapshot (${index}) is at the index of the capture`);
    const digest = store.digest();
    const applied = node.status().appliedIndex;
    await node.stop();

    node = await startKvNode(dir, port, lines);
    const deadline = performance.now() + 5000;
    while (node.status().appliedIndex < applied && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.is(node.status().snapshotIndex, index);
    assert.is(node.context.digest(), digest, 'the snapshot plus the entries after it give the same contents');
    assert.is(node.context.get('k20')?.toString(), 'v20+', 'the append after the capture applied once');
    assert.is(node.context.size, 91);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
