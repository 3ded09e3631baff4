// The driver half of test/core/snapshot-replaced-file.test.ts: a chunk of a replaced file (same
// index and term, another size) starts a new receive, as one of another index does; and bytes
// that do not fit the file being received drop it (the check fails, the leader sends it again)
// instead of stopping the node (regression, found in review: a RangeError reached failStorage).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta } from '../../src/core/messages.js';
import { SnapshotKeeper, type SnapshotHost } from '../../src/snapshot/keeper.js';
import { Never } from '../../src/snapshot/policy.js';
import { membership, removeDir, tempDir } from '../snapshot/helpers.js';

test('a chunk of the same snapshot index with another size does not make receiveChunks throw', async () => {
  const dir = await tempDir();
  const host = { log: () => undefined, snapshotRefused: () => undefined, running: () => true } as unknown as SnapshotHost;
  const keeper = new SnapshotKeeper(host, Never, 0, 5000);
  try {
    await keeper.recover(dir);
    const old: SnapshotMeta = { index: 5, term: 4, membership: membership(), size: 100 };
    const replaced: SnapshotMeta = { ...old, size: 140 };
    await keeper.receiveChunks([{ meta: old, offset: 0, data: new Uint8Array(64), done: false }]);
    let thrown: unknown;
    try {
      await keeper.receiveChunks([{ meta: replaced, offset: 64, data: new Uint8Array(64), done: false }]);
    } catch (err) {
      thrown = err;
    }
    assert.is(thrown, undefined, `receiveChunks threw ${String(thrown)} (fatal in Node.handleReady)`);
    assert.is(await keeper.checkReceived(replaced), false, 'the new file is incomplete: its check fails, nothing stops');
  } finally {
    await keeper.close();
    await removeDir(dir);
  }
});

test('bytes running past the announced size drop the receive (its check fails) instead of throwing', async () => {
  const dir = await tempDir();
  const warnings: string[] = [];
  const host = { log: (_level: string, line: string) => warnings.push(line), snapshotRefused: () => undefined, running: () => true } as unknown as SnapshotHost;
  const keeper = new SnapshotKeeper(host, Never, 0, 5000);
  try {
    await keeper.recover(dir);
    const meta: SnapshotMeta = { index: 5, term: 4, membership: membership(), size: 100 };
    await keeper.receiveChunks([{ meta, offset: 0, data: new Uint8Array(120), done: true }]);
    assert.ok(warnings.some((w) => /chunk \[0, 120\) runs past its size 100; the transfer starts over/.test(w)), warnings.join('\n'));
    assert.is(await keeper.checkReceived(meta), false);
  } finally {
    await keeper.close();
    await removeDir(dir);
  }
});

test.run();
