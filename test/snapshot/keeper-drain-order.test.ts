// keeper.ts (holdsApplies), found by a mutation review: after a save() ends, the entries committed while it ran apply
// a batch (1,024) per turn of the event loop. Entries committed while that backlog drains must queue
// behind it: applied at once, they would apply before older ones (Node stops on an entry applied
// out of order). Mutant: holdsApplies = `holding !== undefined` only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entries, gatedHandler, until, withKeeper } from './keeper-support.js';

test('entries committed while the backlog of a save drains apply after it, in order', async () => {
  await withKeeper(async (keeper, host) => {
    const gated = gatedHandler(host);
    keeper.setHandler(gated.handler);
    host.commit(entries(1, 5));
    const asked = keeper.ask();
    await keeper.maybeTake();
    await until('the save to start', gated.started);
    assert.ok(keeper.holdsApplies, 'applies wait while save() runs');
    host.commit(entries(6, 3000)); // committed while the application saves: deferred
    assert.is(host.applied, 5);
    let batches = 0;
    let next = 3006;
    host.afterBatch = () => {
      // A Ready between two turns of the drain commits more entries.
      batches++;
      host.commit(entries(next, 10));
      next += 10;
    };
    gated.release();
    await until('the backlog to drain', () => keeper.busy === undefined && !keeper.holdsApplies);
    host.afterBatch = undefined;
    assert.ok(batches >= 3, `the backlog drained over several turns (${batches})`);
    assert.equal(host.outOfOrder, [], 'every entry applied once, in order');
    assert.is(host.applied, next - 1);
    assert.equal(gated.savedAt, [5], 'the save saw the state at the snapshot index');
    await keeper.maybeTake(); // compacts to it, answering snapshot()
    assert.is(await asked, 5);
  });
});

test.run();
