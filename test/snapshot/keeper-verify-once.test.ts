// keeper.ts (verifySent), found by a mutation review: the whole-file check of a snapshot being sent runs beside the
// run loop at most once at a time: a check of a large file still running a minute later is not
// started again by the next transfer start (each would read the whole file once more).
// Mutant: `last.running ||` dropped (a check running longer than REVERIFY_MS is duplicated).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { snapshotAtFive, withKeeper } from './keeper-support.js';

test('a transfer start while the last whole-file check still runs (past a minute) starts no second one', async () => {
  const realNow = performance.now.bind(performance);
  let skewMs = 0;
  performance.now = () => realNow() + skewMs;
  try {
    await withKeeper(async (keeper, host) => {
      await snapshotAtFive(keeper, host, (w: Writable) => new Promise<void>((resolve) => w.end('state', () => resolve())));
      // A slow disk: the check of the file being sent does not end within the test.
      const store = (keeper as unknown as { store: { verify(s: StoredSnapshot): Promise<void> } }).store;
      let verifies = 0;
      let endCheck!: () => void;
      store.verify = () => {
        verifies++;
        return new Promise<void>((resolve) => (endCheck = resolve));
      };
      const latest = (keeper as unknown as { latestStored: StoredSnapshot }).latestStored;
      assert.instance(await keeper.readChunk(latest.meta, 0, 16), Uint8Array);
      assert.is(verifies, 1);
      skewMs += 61_000; // the check still runs a minute later
      assert.instance(await keeper.readChunk(latest.meta, 0, 16), Uint8Array);
      assert.is(verifies, 1, 'no second check of the same file while the first runs');
      endCheck();
      await new Promise((r) => setImmediate(r));
      assert.instance(await keeper.readChunk(latest.meta, 0, 16), Uint8Array);
      assert.is(verifies, 1, 'checked less than a minute ago');
      skewMs += 61_000;
      assert.instance(await keeper.readChunk(latest.meta, 0, 16), Uint8Array);
      assert.is(verifies, 2, 'checked again once a minute has passed');
      endCheck();
    });
  } finally {
    performance.now = realNow;
  }
});

test.run();
