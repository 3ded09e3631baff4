// From a second mutation review of src/snapshot/keeper.ts (install, receiveChunks).
// - A snapshot of this node's own, saved and not yet compacted to when the leader's is installed,
//   is compacted to first; after the install the leader's is the latest, the one sent to lagging
//   followers (mutant: `if (this.saved) await this.finish()` dropped from install(): the next turn
//   compacted to the older snapshot and made it the latest again, so a lagging follower was sent
//   a snapshot behind the log's start, and the installed one was 'gone').
// - A transfer the leader starts over (a chunk at offset 0 of the same snapshot) replaces the
//   partial file and completes (no surviving mutant: with `|| chunk.offset === 0` dropped the
//   receiver's positional writes still rebuild the file; kept as a check of the behaviour).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { entries, withKeeper, withLeaderSnapshot } from './keeper-support.js';

test("an own snapshot saved before the leader's is installed is compacted to first; the installed one stays the latest", async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(async (keeper, host) => {
      keeper.setHandler({
        async save(w: Writable): Promise<void> {
          await new Promise<void>((resolve) => w.end('x'.repeat(1000), () => resolve()));
        },
        async recover(): Promise<void> {},
      });
      host.commit(entries(1, 5));
      const asked = keeper.ask();
      await keeper.maybeTake();
      await keeper.busy; // saved at 5, not compacted to yet
      await keeper.receiveChunks([{ meta: snap.meta, offset: 0, data: snap.bytes, done: true }]);
      assert.is(await keeper.checkReceived(snap.meta), true);
      const stored = await keeper.install(snap.meta);
      assert.equal(host.compacted.map((c) => c.index), [5], 'compacted to its own snapshot before the install');
      assert.is(await asked, 5);
      host.applied = stored.meta.index; // recovered from it
      for (let i = 0; i < 3; i++) {
        await keeper.maybeTake();
        await keeper.busy;
      }
      assert.equal(host.compacted.map((c) => c.index), [5], 'no compaction back to the older snapshot after the install');
      assert.is((keeper as unknown as { latestStored: StoredSnapshot }).latestStored.meta.index, 100);
      assert.instance(await keeper.readChunk(snap.meta, 0, 64), Uint8Array, 'the installed snapshot is the one sent');
    });
  });
});

test('a transfer the leader starts over at offset 0 replaces the partial file and completes', async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(async (keeper) => {
      keeper.setHandler({ async save(): Promise<void> {}, async recover(): Promise<void> {} });
      await keeper.receiveChunks([{ meta: snap.meta, offset: 0, data: snap.bytes.subarray(0, 3000), done: false }]);
      // The leader starts the same snapshot over (its transfer timed out, the follower's answer was lost).
      await keeper.receiveChunks([
        { meta: snap.meta, offset: 0, data: snap.bytes.subarray(0, 2000), done: false },
        { meta: snap.meta, offset: 2000, data: snap.bytes.subarray(2000), done: true },
      ]);
      assert.is(await keeper.checkReceived(snap.meta), true);
    });
  });
});

test.run();
