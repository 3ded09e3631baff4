// From a second mutation review of src/snapshot/keeper.ts (maybeTake): one save at a time, and none while a
// received snapshot's recover() replaces the context.
// - snapshot() asked while a save runs waits for it and is answered (mutant: `this.savingPromise ||`
//   dropped: a second save started beside the first, at the same index, and failed on its file).
// - A save asked for while recover() runs starts only once it ended (mutant: `this.recovering ||`
//   dropped: the save read the context while recover() replaced it, wrote that mix as a snapshot at
//   the old applied index, and its end applied the entries held behind the recover before the
//   snapshot's index was reached: entries out of order, the node stopped).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import type { SnapshotHandler } from '../../src/snapshot/keeper.js';
import { entries, until, withKeeper, withLeaderSnapshot } from './keeper-support.js';

const endWith = (w: Writable, text: string): Promise<void> => new Promise<void>((resolve, reject) => w.end(text, (err?: Error | null) => (err ? reject(err) : resolve())));

test('snapshot() asked while a save runs starts no second save, and is answered once the first ends', async () => {
  await withKeeper(async (keeper, host) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let saves = 0;
    keeper.setHandler({
      async save(w: Writable): Promise<void> {
        saves++;
        await gate;
        await endWith(w, 'state');
      },
      async recover(): Promise<void> {},
    });
    host.commit(entries(1, 5));
    const first = keeper.ask();
    await keeper.maybeTake();
    await until('the save to start', () => saves === 1);
    const second = keeper.ask().then(
      (i) => i,
      (e: Error) => e,
    );
    await keeper.maybeTake(); // the run loop turns while the application saves
    await new Promise((r) => setImmediate(r));
    assert.is(saves, 1, 'no second save beside the first');
    release();
    for (let i = 0; i < 5 && (keeper.hasWork || keeper.busy); i++) {
      await keeper.busy;
      await keeper.maybeTake();
    }
    assert.is(await first, 5);
    assert.is(await second, 5, 'answered with the snapshot at the applied index');
    assert.equal(host.lines.filter((l) => l.level === 'error'), []);
    assert.equal(host.compacted.map((c) => c.index), [5]);
  });
});

test('no save starts while recover() of a received snapshot runs; snapshot() asked then is answered with the installed index', async () => {
  await withLeaderSnapshot(async (snap) => {
    await withKeeper(async (keeper, host) => {
      let endRecover!: () => void;
      const recoverGate = new Promise<void>((resolve) => (endRecover = resolve));
      let saves = 0;
      let recovering = false;
      const handler: SnapshotHandler = {
        async save(w: Writable): Promise<void> {
          saves++;
          if (recovering) throw new Error('save() called while recover() runs');
          await endWith(w, String(host.applied));
        },
        async recover(): Promise<void> {
          recovering = true;
          await recoverGate;
          recovering = false;
        },
      };
      keeper.setHandler(handler);
      host.commit(entries(1, 3)); // this node's own state, behind the leader's snapshot
      await keeper.receiveChunks([{ meta: snap.meta, offset: 0, data: snap.bytes, done: true }]);
      assert.is(await keeper.checkReceived(snap.meta), true);
      const stored = await keeper.install(snap.meta);
      let failed: Error | undefined;
      keeper.recoverInBackground(
        stored,
        () => (host.applied = stored.meta.index), // as Node's: the context holds the snapshot's state
        (err) => (failed = err),
      );
      await until('recover() to start', () => recovering);
      host.commit(entries(101, 4)); // committed meanwhile: held behind the recover
      const asked = keeper.ask().then(
        (i) => i,
        (e: Error) => e,
      );
      await keeper.maybeTake();
      await new Promise((r) => setImmediate(r));
      assert.is(saves, 0, 'no save while the context is being replaced');
      assert.ok(keeper.recoverRunning);
      endRecover();
      for (let i = 0; i < 5 && (keeper.hasWork || keeper.busy); i++) {
        await keeper.busy;
        await keeper.maybeTake();
      }
      assert.is(failed, undefined);
      assert.equal(host.outOfOrder, [], 'the entries held behind the recover applied after the snapshot, in order');
      assert.is(host.applied, 104);
      const answer = await asked;
      assert.ok(answer === 100 || answer === 104, `answered with a snapshot at or past the installed one (${String(answer)})`);
    });
  });
});

test.run();
