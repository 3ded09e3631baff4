// keeper.ts (takeCheck), found by a review of the snapshot path: a received snapshot that checked
// out is not handed to the run loop while this node's own save has finished and is not yet
// compacted to. Taken then, the install reset the log and the membership history to the received
// snapshot, and the compaction that followed moved the history's base back to the older, local
// index (so a notMember notice about a configuration older than the received one could be
// believed). Mutant: `|| this.saved` dropped from takeCheck's wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entries, until, withKeeper, withLeaderSnapshot } from './keeper-support.js';

test('a checked snapshot waits until the node has compacted to its own save that finished', async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(async (keeper, host) => {
      keeper.setHandler({
        async save(w): Promise<void> {
          await new Promise<void>((resolve) => w.end('own', () => resolve()));
        },
        async recover(): Promise<void> {},
      });
      host.commit(entries(1, 5));
      const asked = keeper.ask();
      await keeper.maybeTake(); // the save at 5 starts
      await keeper.busy; // ... and finishes: saved, not compacted to yet
      assert.equal(host.compacted, [], 'not compacted before the run loop turns');

      await keeper.receiveChunks([{ meta: snap.meta, offset: 0, data: snap.bytes, done: true }]);
      const wakes = host.wakes;
      let failed: Error | undefined;
      keeper.checkInBackground(snap.meta, (err) => (failed = err));
      await until('the check to end', () => host.wakes > wakes);
      assert.is(failed, undefined);

      assert.is(keeper.takeCheck(), undefined, 'not taken before the compaction to the save that finished');
      await keeper.maybeTake(); // compacts to 5, starts nothing (a checked snapshot waits)
      assert.equal(host.compacted.map((c) => c.index), [5]);
      assert.is(await asked, 5);
      assert.equal(keeper.takeCheck(), { meta: snap.meta, ok: true }, 'then taken');
    });
  });
});

test.run();
