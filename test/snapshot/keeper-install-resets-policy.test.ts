// keeper.ts (install), found by a mutation review: a snapshot received from the leader covers everything this node
// applied, so the entries counted toward its own policy before it no longer count: the next
// snapshot of its own is due only after `entryThreshold` entries applied past the install.
// Mutant: `this.scheduler.taken(performance.now());` dropped from install() (the follower then
// writes a snapshot of its own a few entries after each install).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entries, withKeeper, withLeaderSnapshot } from './keeper-support.js';

test('entries applied before an installed snapshot do not count toward the next snapshot of its own', async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(
      async (keeper, host) => {
        keeper.setHandler({ async save(): Promise<void> {}, async recover(): Promise<void> {} });
        host.commit(entries(1, 8)); // 8 of the 10 entries that make a snapshot due
        keeper.tick();
        assert.not.ok(keeper.hasWork);
        await keeper.receiveChunks([{ meta: snap.meta, offset: 0, data: snap.bytes, done: true }]);
        assert.is(await keeper.checkReceived(snap.meta), true);
        const stored = await keeper.install(snap.meta);
        assert.is(stored.meta.index, 100);
        host.applied = 100; // recovered from it
        host.commit(entries(101, 3));
        keeper.tick();
        assert.not.ok(keeper.hasWork, 'only 3 entries applied since the installed snapshot');
        host.commit(entries(104, 7));
        keeper.tick();
        assert.ok(keeper.hasWork, '10 entries since it: due');
      },
      undefined,
      10,
    );
  });
});

test.run();
