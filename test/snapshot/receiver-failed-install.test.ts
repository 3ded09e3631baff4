// receiver.ts (finish), found by a mutation review: when the install of a received snapshot fails (the rename into
// place), the receiver is aborted and its temp file (a whole snapshot's size) is deleted, not left
// behind until the next start. Mutant: `await this.discard();` dropped from finish()'s catch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshotFileName } from '../../src/snapshot/format.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';

test('a failed install rejects finish(), closes the receiver and deletes its temp file', async () => {
  const leaderDir = await tempDir();
  const followerDir = await tempDir();
  try {
    const leader = await SnapshotStore.open(leaderDir);
    const writer = await leader.create({ index: 100, term: 7, membership: membership() });
    await writePayload(writer, 100, 50_000);
    const snap = await writer.commit();
    const follower = await SnapshotStore.open(followerDir);
    const receiver = await follower.beginReceive(snap.meta);
    await receiver.write(0, await leader.readChunk(snap, 0, snap.meta.size));
    await receiver.check();
    // A non-empty directory where the file goes: the rename into place fails.
    const blocker = join(followerDir, snapshotFileName(100, 7));
    await mkdir(blocker);
    await writeFile(join(blocker, 'x'), 'x');
    let thrown: unknown;
    try {
      await receiver.finish();
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof Error, 'finish() rejects');
    assert.not.ok(receiver.isOpen);
    assert.equal(await readdir(followerDir), [snapshotFileName(100, 7)], 'the temp file is deleted');
  } finally {
    await removeDir(leaderDir);
    await removeDir(followerDir);
  }
});

test.run();
