// keeper.ts (close), found by a mutation review: a snapshot saved but not yet compacted to when the node stops is on
// disk all the same: the snapshot() call waiting for it is answered with its index at close(),
// not left pending for good (refuseAsked only rejects the calls not yet taken).
// Mutant: the loop resolving `saved.asked` in close() dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import { entries, withKeeper } from './keeper-support.js';

test('snapshot() whose file was saved before the stop is answered with its index at close()', async () => {
  await withKeeper(async (keeper, host) => {
    keeper.setHandler({
      async save(w: Writable): Promise<void> {
        await new Promise<void>((resolve) => w.end('state', () => resolve()));
      },
      async recover(): Promise<void> {},
    });
    host.commit(entries(1, 7));
    const asked = keeper.ask();
    await keeper.maybeTake();
    await keeper.busy; // saved; the run loop has not compacted to it yet
    assert.ok(keeper.hasWork, 'saved, not compacted');
    host.running_ = false; // the node stops
    keeper.refuseAsked(new Error('stopped'));
    await keeper.close();
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      asked.then(
        (i) => i,
        (e: Error) => e.message,
      ),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still pending 1 s after close()'), 1000))),
    ]);
    clearTimeout(timer);
    assert.is(answer, 7);
  });
});

test.run();
