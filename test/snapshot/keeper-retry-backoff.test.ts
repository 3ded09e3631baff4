// keeper.ts (snapshotDue), found by a mutation review: a snapshot the policy takes that fails is tried again only
// after a delay (1 s, doubling up to a minute), not at the next tick: an application whose save
// fails at once (a full disk) would otherwise be called, and log an error, at every tick.
// Mutant: `now >= this.retryAt &&` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entries, withKeeper } from './keeper-support.js';

test('a failed policy snapshot is not tried again at the next ticks, before its retry delay', async () => {
  await withKeeper(
    async (keeper, host) => {
      let saves = 0;
      keeper.setHandler({
        async save(): Promise<void> {
          saves++;
          throw new Error('disk full (test)');
        },
        async recover(): Promise<void> {},
      });
      host.commit(entries(1, 5)); // the entry threshold: a snapshot is due
      keeper.tick();
      assert.ok(keeper.hasWork, 'due at the tick');
      await keeper.maybeTake();
      await keeper.busy;
      assert.is(saves, 1);
      assert.ok(host.lines.some((l) => /snapshot at 5 not written: disk full \(test\).*tried again in 1 s/.test(l.line)), JSON.stringify(host.lines));
      for (let i = 0; i < 5; i++) {
        keeper.tick();
        await keeper.maybeTake();
        await keeper.busy;
      }
      assert.is(saves, 1, 'no save tried again within the retry delay');
      assert.not.ok(keeper.hasWork);
    },
    undefined,
    5,
  );
});

test.run();
