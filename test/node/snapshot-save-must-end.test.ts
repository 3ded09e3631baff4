// A snapshot is sealed only once the application's save (or capture's write function) has ended
// the stream and resolved. Sealed when save() resolved, a save whose writes came later (a pipe not
// awaited, writes put off to a later turn) made a truncated snapshot, the log was compacted to it,
// and the state was gone after a restart; a pipe into the ended stream threw an uncaught
// ERR_STREAM_WRITE_AFTER_END that killed the process (found in a user trial).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotError } from '../../src/snapshot/index.js';
import { snapshotDir } from '../../src/snapshot/index.js';
import { SetCommand, TestCluster, kvSnapshot, type Kv } from '../support/node-cluster.js';
import type { Node } from '../../src/node.js';

const KEYS = 50;

async function snapshotRefused(node: Node<Kv>): Promise<Error> {
  const err = await node.snapshot().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(err, 'snapshot() resolved: a snapshot was sealed before its writes');
  assert.instance(err, SnapshotError);
  return err!;
}

function snapshotFiles(c: TestCluster, address: string): string[] {
  try {
    return readdirSync(snapshotDir(join(c.root, address.replace(':', '-')))).filter((n) => n.endsWith('.snap'));
  } catch {
    return [];
  }
}

/** Runs `body` on the leader of a one-member cluster holding KEYS keys, its save replaced by `save`. */
async function withSave(save: (kv: Kv, w: Writable) => Promise<void> | void, body: (node: Node<Kv>, c: TestCluster) => Promise<void>, capture = false): Promise<void> {
  const c = new TestCluster(1, { logLevel: 'silent' });
  c.configure = (node) => {
    const plain = kvSnapshot(node.context);
    const write = (w: Writable): Promise<void> => Promise.resolve(save(node.context, w));
    node.setSnapshot(capture ? { ...plain, capture: () => write } : { ...plain, save: write });
  };
  try {
    await c.startAll();
    const node = await c.waitLeader();
    for (let i = 0; i < KEYS; i++) await node.do(new SetCommand(`k${i}`, `v${i}`));
    await body(node, c);
  } finally {
    await c.close();
  }
}

test('snapshot save: one that resolves before its writes, without ending the stream, is refused; nothing is compacted, and a restart keeps every key', () =>
  withSave(
    (kv, w) => {
      // The writes land a turn after save() resolved.
      setImmediate(() => {
        for (const [k, v] of kv.data) w.write(JSON.stringify([k, v]) + '\n');
      });
    },
    async (node, c) => {
      const err = await snapshotRefused(node);
      assert.match(err.message, /^save\(\) resolved without ending the snapshot stream \(0 bytes written by then\): the snapshot was not taken/);
      assert.match(err.message, /w\.end\(resolve\)/);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the late writes land on the discarded stream
      assert.equal(snapshotFiles(c, node.address), [], 'no snapshot file');
      await c.stop(node.address);
      c.configure = undefined;
      const again = await c.start(node.address);
      await c.waitLeader();
      assert.is(again.context.data.size, KEYS, 'every key recovered from the log');
    },
  ));

test('snapshot save: a pipe into the stream that save() does not wait for is refused, and nothing is thrown uncaught', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    await withSave(
      (kv, w) => {
        Readable.from([...kv.data].map(([k, v]) => JSON.stringify([k, v]) + '\n')).pipe(w);
      },
      async (node) => {
        const err = await snapshotRefused(node);
        assert.match(err.message, /^save\(\) resolved without ending the snapshot stream/);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(uncaught.map(String), []);
        assert.ok(node.isLeader(), 'the node goes on');
        await node.do(new SetCommand('after', 'yes'));
      },
    );
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('snapshot save: capture()\'s write function that resolves without ending the stream is refused, naming it', () =>
  withSave(
    (_kv, w) => {
      w.write('partial');
    },
    async (node) => {
      const err = await snapshotRefused(node);
      assert.match(err.message, /^capture\(\)'s write function resolved without ending the snapshot stream \(\d+ bytes written by then\)/);
    },
    true,
  ));

test('snapshot save: one that ends the stream and then resolves is taken', () =>
  withSave(
    async (kv, w) => {
      await new Promise<void>((resolve) => w.end(JSON.stringify({ data: [...kv.data], log: [] }), () => resolve()));
    },
    async (node, c) => {
      assert.ok((await node.snapshot()) > 0);
      assert.is(snapshotFiles(c, node.address).length, 1);
    },
  ));

test.run();
