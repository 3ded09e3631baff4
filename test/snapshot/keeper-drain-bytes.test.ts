// The backlog left by a save drains in batches bounded in bytes as well as entries: ten 59 MiB
// overwrites applied in one turn held the event loop 5 s (found in an event-loop audit). A batch
// holds at most 1 MiB of entry data (an entry bigger than that goes alone), and at most 1,024
// entries; every entry still applies once, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EntryType, type Entry } from '../../src/core/messages.js';
import { entries, gatedHandler, until, withKeeper } from './keeper-support.js';

const MiB = 1024 * 1024;

function sized(from: number, sizes: number[]): Entry[] {
  return sizes.map((bytes, i) => ({ index: from + i, term: 1, type: EntryType.Normal, data: new Uint8Array(bytes) }));
}

test('a drained backlog applies at most 1 MiB of entry data per batch (a bigger entry alone, even after small ones), and at most 1,024 entries', async () => {
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
    host.commit(sized(3049, [10, 10, 2 * MiB])); // a big entry after small ones goes in a batch of its own
    assert.ok(keeper.holdsApplies, 'held while the save runs');
    gated.release();
    await until('the backlog to drain', () => host.applied === 5 + 3 + 40 + 3000 + 3);
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
      assert.ok(b.count === 1 || b.bytes <= MiB, `a batch of ${b.bytes} bytes in ${b.count} entries`);
    }
    assert.is(batches.reduce((sum, b) => sum + b.count, 0), 3 + 40 + 3000 + 3, 'every deferred entry applied once');
    // 3 big ones; 10, 10, 10 and 10 of the 100 KiB ones (the last batch filled up with 1,014 empty
    // entries to 1,024); then 1,024 and 962 empty ones with the two small ones after them, then the
    // 2 MiB one alone.
    assert.equal(batches.map((b) => b.count), [1, 1, 1, 10, 10, 10, 1024, 1024, 964, 1]);
  });
});

test.run();
