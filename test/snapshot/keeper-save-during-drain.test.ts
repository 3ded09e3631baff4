// keeper.ts (maybeTake), found by a mutation review: no save starts while the backlog of the previous save still
// applies (a batch per turn). A save started then would snapshot at the index applied so far while
// the backlog goes on applying under it: the file would hold state past its index, and a restart
// from it would apply those entries twice. Mutant: `this.drained ||` dropped from maybeTake.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import { entries, until, withKeeper } from './keeper-support.js';

test('snapshot() asked while a backlog drains is taken after it, holding the state at its index', async () => {
  await withKeeper(async (keeper, host) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const wrote: number[] = []; // the applied index each save saw when it wrote
    keeper.setHandler({
      async save(w: Writable): Promise<void> {
        if (started++ === 0) await gate;
        await new Promise((r) => setTimeout(r, 20)); // a save takes a while
        wrote.push(host.applied);
        await new Promise<void>((resolve, reject) => w.end(String(host.applied), (err?: Error | null) => (err ? reject(err) : resolve())));
      },
      async recover(): Promise<void> {},
    });
    host.commit(entries(1, 5));
    const first = keeper.ask();
    await keeper.maybeTake();
    await until('the first save to start', () => started === 1);
    const backlog = 100 * 1024; // a hundred turns of the event loop to apply
    host.commit(entries(6, backlog)); // deferred behind it
    let second: Promise<number> | undefined;
    const turns: Promise<void>[] = [];
    host.afterBatch = () => {
      // After each batch the run loop turns (Node.applyDeferred kicks it), with a snapshot() asked
      // meanwhile. A batch takes a moment (so the first save's file is sealed before the backlog is
      // gone).
      const until = performance.now() + 1;
      while (performance.now() < until);
      second ??= keeper.ask();
      turns.push(keeper.maybeTake());
    };
    release();
    await until('the backlog to drain', () => second !== undefined && keeper.busy === undefined && !keeper.holdsApplies);
    await Promise.all(turns);
    // As the run loop does: compact to a saved snapshot, start what was asked, until all settled.
    for (let i = 0; i < 20 && (keeper.hasWork || keeper.busy); i++) {
      await keeper.maybeTake();
      await keeper.busy;
    }
    const indexes = [await first, await second!];
    assert.is(host.applied, 5 + backlog);
    assert.equal(host.outOfOrder, []);
    assert.equal(wrote, indexes, 'each save saw the state at its own index');
    assert.equal(indexes, [5, 5 + backlog], 'the second snapshot is at the index applied once the backlog drained');
  });
});

test.run();
