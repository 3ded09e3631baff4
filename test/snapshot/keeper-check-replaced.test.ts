// keeper.ts (checkReceived), found by a mutation review: a received snapshot's check cut short because a newer
// transfer replaced it (its first chunk arrived meanwhile) is no corrupt snapshot: not counted in
// snapshot_corrupt_total{side="received"}, not logged as an error, and the newer transfer's
// receiver is kept. Mutant: `if (receiver && this.receiver !== receiver) return false;` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta } from '../../src/core/messages.js';
import type { SnapshotReceiver } from '../../src/snapshot/receiver.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';
import { withKeeper } from './keeper-support.js';

test('a check cut short by a newer transfer is not counted as corrupt, and the newer transfer goes on', async () => {
  const leaderDir = await tempDir('tsraft-leader-');
  try {
    const leader = await SnapshotStore.open(leaderDir);
    const metas: SnapshotMeta[] = [];
    const files: Uint8Array[] = [];
    for (const index of [100, 200]) {
      const writer = await leader.create({ index, term: 7, membership: membership() });
      await writePayload(writer, index, 4_000_000); // a check that takes a moment
      const snap = await writer.commit();
      metas.push(snap.meta);
      files.push(await leader.readChunk(snap, 0, snap.meta.size));
    }
    const [older, newer] = metas as [SnapshotMeta, SnapshotMeta];
    await withKeeper(async (keeper, host) => {
      keeper.setHandler({ async save(): Promise<void> {}, async recover(): Promise<void> {} });
      await keeper.receiveChunks([{ meta: older, offset: 0, data: files[0]!, done: true }]);
      const receiving = (): SnapshotReceiver | undefined => (keeper as unknown as { receiver: SnapshotReceiver | undefined }).receiver;
      const first = receiving()!;
      const check = keeper.checkReceived(older);
      const state = (): string => (first as unknown as { state: string }).state;
      for (let turns = 0; state() !== 'checking'; turns++) {
        if (turns > 1000 || state() !== 'open') throw new Error(`the check did not start (${state()})`);
        await new Promise((r) => setImmediate(r));
      }
      // The leader's newer snapshot starts arriving while the older one is checked.
      await keeper.receiveChunks([{ meta: newer, offset: 0, data: files[1]!.subarray(0, 1000), done: false }]);
      const second = receiving();
      assert.ok(second && second !== first && second.meta.index === 200);
      assert.is(await check, false, 'the older one is not taken');
      assert.equal(host.refused, [], 'not counted as a corrupt snapshot from the leader');
      assert.not.ok(host.lines.some((l) => l.level === 'error'), JSON.stringify(host.lines));
      assert.is(receiving(), second, 'the newer transfer is kept');
      // ... and completes.
      await keeper.receiveChunks([{ meta: newer, offset: 1000, data: files[1]!.subarray(1000), done: true }]);
      assert.is(await keeper.checkReceived(newer), true);
    });
  } finally {
    await removeDir(leaderDir);
  }
});

test.run();
