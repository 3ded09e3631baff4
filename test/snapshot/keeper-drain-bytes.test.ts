// The backlog left by a save drains in batches bounded in bytes as well as entries: ten 59 MiB
// overwrites applied in one turn held the event loop 5 s (found in an event-loop audit). A batch
// stops once 1 MiB of entry data is taken (an entry bigger than that goes alone), or at 1,024
// entries; every entry still applies once, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Entry } from '../../src/core/messages.js';
import { entries, gatedHandler, until, withKeeper } from './keeper-support.js';

const MiB = 1024 * 1024;

function sized(from: number, sizes: number[]): Entry[] {
  return sizes.map((bytes, i) => ({ index: from + i, term: 1, type: EntryType.Normal, data: new Uint8Array(bytes) }));
}

test('a drained backlog applies at most 1 MiB of entry data per batch (a bigger entry alone), and at most 1,024 entries', async () => {
  await withKeeper(async (keeper, host) => {
    const gated = gatedHandler(host);
    keeper.setHandler(gated.handler);
    const batches: Array<{ count: number; bytes: number }> = [];
    const apply = host.applyDeferred.bind(host);
    host.applyDeferred = (batch: Entry[]): void => {
      batches.push({ count: batch.length, bytes: batch.reduce((sum, e) => sum + e.data.byteLength, 0) });
      apply(batch);
    };
    host.commit(entries(1, 5));
    const asked = keeper.ask();
    await keeper.maybeTake();
    await until('the save to start', () => gated.started());
    // Deferred behind the save: three 3 MiB entries, 40 of 100 KiB, 3,000 empty ones.
    host.commit(sized(6, [3 * MiB, 3 * MiB, 3 * MiB]));
    host.commit(sized(9, Array.from({ length: 40 }, () => 100 * 1024)));
    host.commit(entries(49, 3000));
    assert.ok(keeper.holdsApplies, 'held while the save runs');
    gated.release();
    await until('the backlog to drain', () => host.applied === 5 + 3 + 40 + 3000);
    // As the run loop does: compact to the saved snapshot, so that snapshot() settles.
    for (let i = 0; i < 20 && (keeper.hasWork || keeper.busy); i++) {
      await keeper.maybeTake();
      await keeper.busy;
    }
    assert.is(await asked, 5, 'the snapshot holds the state at its index');
    assert.equal(host.outOfOrder, []);
    assert.equal(batches.slice(0, 3), [{ count: 1, bytes: 3 * MiB }, { count: 1, bytes: 3 * MiB }, { count: 1, bytes: 3 * MiB }], 'each big entry alone');
    for (const b of batches) {
      assert.ok(b.count <= 1024, `a batch of ${b.count} entries`);
      assert.ok(b.count === 1 || b.bytes - 100 * 1024 < MiB, `a batch of ${b.bytes} bytes in ${b.count} entries`);
    }
    assert.is(batches.reduce((sum, b) => sum + b.count, 0), 3 + 40 + 3000, 'every deferred entry applied once');
    // 3 big ones; 11, 11, 11 and 7 of the 100 KiB ones (the last batch filled up with 1,017 empty
    // entries to 1,024); then 1,024 and 959 empty ones.
    assert.equal(batches.map((b) => b.count), [1, 1, 1, 11, 11, 11, 1024, 1024, 959]);
  });
});

test.run();
