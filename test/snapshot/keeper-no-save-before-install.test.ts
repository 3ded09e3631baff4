// keeper.ts (maybeTake), found by a mutation review: once a snapshot received from the leader has checked out, this
// node starts no save of its own until the run loop has taken the check (and then the install):
// the install waits for any save, so a save started then (the policy's, or snapshot()) would hold
// the follower on its old log for as long as the application saves. snapshot() calls asked
// meanwhile are answered later. Mutant: `|| this.checkResult?.ok` dropped from maybeTake. Also: a
// check that ended is run-loop work (hasWork), mutant: `|| this.checkResult !== undefined` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotMeta } from '../../src/core/messages.js';
import { entries, until, withKeeper, withLeaderSnapshot } from './keeper-support.js';

test('no save starts while a received snapshot that checked out waits for the run loop', async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(async (keeper, host) => {
      let saves = 0;
      keeper.setHandler({
        async save(w): Promise<void> {
          saves++;
          await new Promise<void>((resolve) => w.end('x', () => resolve()));
        },
        async recover(): Promise<void> {},
      });
      host.commit(entries(1, 5)); // this node applied entries past its own (no) snapshot
      const meta: SnapshotMeta = snap.meta;
      await keeper.receiveChunks([{ meta, offset: 0, data: snap.bytes, done: true }]);
      let failed: Error | undefined;
      keeper.checkInBackground(meta, (err) => (failed = err));
      await until('the check to end', () => host.wakes > 0);
      assert.is(failed, undefined);
      // The run loop turns for it even when the core has nothing (hasWork): else it waits for the next message.
      assert.ok(keeper.hasWork, 'a check that ended is run-loop work');
      const asked = keeper.ask().then(
        (i) => i,
        (e: Error) => e,
      );
      await keeper.maybeTake();
      await keeper.busy;
      assert.is(saves, 0, 'no save of its own started before the checked snapshot was taken');
      assert.equal(keeper.takeCheck(), { meta, ok: true });
      // The run loop then reports it and installs it (installPending); snapshot() is answered by the install.
      await keeper.close(); // (withKeeper closes again: idempotent)
      keeper.refuseAsked(new Error('stopped'));
      assert.instance(await asked, Error);
    });
  });
});

test.run();
