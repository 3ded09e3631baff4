// keeper.ts (readChunk), found by a mutation review: once the latest snapshot is found corrupt while being sent (the
// whole-file check at a transfer's start), no more of its bytes go to the follower until a new
// snapshot replaces it: the follower would store them, refuse the file at its check (counted and
// logged as a corrupt snapshot from the leader) and ask again, round after round.
// Mutant: `if (this.toReplace === snap) return undefined;` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { snapshotAtFive, until, withKeeper } from './keeper-support.js';

test('a latest snapshot found corrupt at a transfer start serves no chunk until it is replaced', async () => {
  await withKeeper(async (keeper, host) => {
    await snapshotAtFive(keeper, host, (w: Writable) => new Promise<void>((resolve) => w.end('x'.repeat(4096), () => resolve())));
    const latest = (keeper as unknown as { latestStored: StoredSnapshot }).latestStored;
    // Bit rot in the data of the file on disk.
    const fh = await open(latest.path, 'r+');
    await fh.write(Buffer.from('yy'), 0, 2, 100);
    await fh.close();
    const first = await keeper.readChunk(latest.meta, 0, 64); // a transfer starts: the file is checked beside it
    assert.instance(first, Uint8Array);
    await until('the check to find the file corrupt', () => host.refused.includes('sent'));
    assert.ok(host.lines.some((l) => /cannot be sent to a lagging follower/.test(l.line)));
    for (const offset of [0, 64, 128]) {
      assert.is(await keeper.readChunk(latest.meta, offset, 64), undefined, `no bytes of the corrupt file at ${offset}`);
    }
    assert.ok(keeper.hasWork, 'a new snapshot is due to replace it');
  });
});

test.run();
