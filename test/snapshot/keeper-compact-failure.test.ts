// From a second mutation review of src/snapshot/keeper.ts (finish): when the compaction behind a saved
// snapshot fails (fatal to the node), the snapshot() calls that snapshot answers are rejected with
// that failure, not left pending: the saved snapshot is no longer held for close() to answer, and
// stop() rejects only the calls not yet taken. Mutant: the loop rejecting `asked` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import { entries, withKeeper } from './keeper-support.js';

test('snapshot() is rejected with the compaction failure that follows its save', async () => {
  await withKeeper(async (keeper, host) => {
    keeper.setHandler({
      async save(w: Writable): Promise<void> {
        await new Promise<void>((resolve) => w.end('state', () => resolve()));
      },
      async recover(): Promise<void> {},
    });
    host.compact = async () => {
      throw new Error('WAL compaction failed (test)');
    };
    host.commit(entries(1, 5));
    const asked = keeper.ask();
    await keeper.maybeTake();
    await keeper.busy;
    const turn = await keeper.maybeTake().then(
      () => 'no error',
      (e: Error) => e.message,
    );
    assert.is(turn, 'WAL compaction failed (test)', 'the run loop hears of it (fatal)');
    // Node stops on it.
    host.running_ = false;
    keeper.refuseAsked(new Error('stopped'));
    await keeper.close();
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      asked.then(
        (i) => `answered ${i}`,
        (e: Error) => e.message,
      ),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still pending 1 s after close()'), 1000))),
    ]);
    clearTimeout(timer);
    assert.is(answer, 'WAL compaction failed (test)');
  });
});

test.run();
