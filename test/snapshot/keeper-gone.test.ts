// From a second mutation review of src/snapshot/keeper.ts (readChunk): a chunk of a snapshot that can no
// longer be sent is 'gone', so that the core starts the transfer again with the latest; undefined
// would make it ask for the same chunk again at every heartbeat round, for ever (the follower never
// catches up). Mutants: `return 'gone'` for a snapshot neither latest nor being sent changed to
// undefined; the same for an older snapshot being sent whose file can no longer be read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import type { SnapshotMeta } from '../../src/core/messages.js';
import type { SnapshotKeeper } from '../../src/snapshot/keeper.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { entries, snapshotAtFive, withKeeper, type FakeHost } from './keeper-support.js';

const save = (w: Writable): Promise<void> => new Promise<void>((resolve) => w.end('x'.repeat(4096), () => resolve()));
const latestOf = (keeper: SnapshotKeeper): StoredSnapshot => (keeper as unknown as { latestStored: StoredSnapshot }).latestStored;

/** Applies entries 6–8 and takes a snapshot at 8. */
async function snapshotAtEight(keeper: SnapshotKeeper, host: FakeHost): Promise<void> {
  host.commit(entries(6, 3));
  const asked = keeper.ask();
  await keeper.maybeTake();
  await keeper.busy;
  await keeper.maybeTake();
  assert.is(await asked, 8);
}

test("a chunk of an older snapshot no transfer holds open is 'gone'", async () => {
  await withKeeper(async (keeper, host) => {
    await snapshotAtFive(keeper, host, save);
    const five: SnapshotMeta = latestOf(keeper).meta;
    await snapshotAtEight(keeper, host);
    assert.is(latestOf(keeper).meta.index, 8);
    assert.is(await keeper.readChunk(five, 0, 64), 'gone');
    assert.is(await keeper.readChunk({ ...five, index: 3 }, 64, 64), 'gone', 'nor one never taken here');
    assert.instance(await keeper.readChunk(latestOf(keeper).meta, 0, 64), Uint8Array, 'the latest is sent');
  });
});

test("a chunk of an older snapshot being sent whose file can no longer be read is 'gone'", async () => {
  await withKeeper(async (keeper, host) => {
    await snapshotAtFive(keeper, host, save);
    const five = latestOf(keeper);
    assert.instance(await keeper.readChunk(five.meta, 0, 64), Uint8Array, 'a transfer of the snapshot at 5 starts');
    await snapshotAtEight(keeper, host); // taken meanwhile: the transfer goes on with its open file
    assert.instance(await keeper.readChunk(five.meta, 64, 64), Uint8Array);
    const store = (keeper as unknown as { store: { readChunk(...args: unknown[]): Promise<Uint8Array> } }).store;
    const realRead = store.readChunk.bind(store);
    store.readChunk = (...args: unknown[]) => ((args[0] as StoredSnapshot) === five ? Promise.reject(new Error('EIO (test)')) : realRead(...args));
    try {
      assert.is(await keeper.readChunk(five.meta, 128, 64), 'gone');
      assert.ok(host.lines.some((l) => l.level === 'warn' && /snapshot 5 being sent can no longer be read \(EIO \(test\)\); sending snapshot 8 instead/.test(l.line)), JSON.stringify(host.lines));
      assert.is(await keeper.readChunk(five.meta, 128, 64), 'gone', 'and it stays gone');
    } finally {
      store.readChunk = realRead;
    }
  });
});

test.run();
