// keeper.ts (finish), found by a mutation review: a node that started with a newer snapshot file found corrupt takes
// one snapshot as soon as anything applies past the one it recovered (so that it soon has a
// fallback again), and then goes back to its policy. If the flag stayed set, every entry applied
// would make a new snapshot due (the whole state written, the log compacted, at every tick).
// Mutant: `this.replaceCorruptAtStart = false;` dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { membership } from './helpers.js';
import { entries, withKeeper } from './keeper-support.js';

test('after the snapshot replacing a corrupt one found at start, entries applied make no snapshot due (policy Never)', async () => {
  let saves = 0;
  const handler = {
    async save(w: Writable): Promise<void> {
      saves++;
      await new Promise<void>((resolve) => w.end('state', () => resolve()));
    },
    async recover(): Promise<void> {},
  };
  await withKeeper(
    async (keeper, host) => {
      assert.ok(host.lines.some((l) => l.level === 'error' && /skipped/.test(l.line)), 'the corrupt file was reported');
      host.applied = 5; // recovered the snapshot at 5
      keeper.tick();
      assert.not.ok(keeper.hasWork, 'nothing applied past the recovered snapshot yet');
      host.commit(entries(6, 2));
      keeper.tick();
      assert.ok(keeper.hasWork, 'a snapshot replaces the corrupt one once an entry applied');
      await keeper.maybeTake();
      await keeper.busy;
      await keeper.maybeTake(); // compacts to it
      assert.is(saves, 1);
      assert.equal(host.compacted.map((c) => c.index), [7]);
      for (let i = 8; i < 12; i++) {
        host.commit(entries(i, 1));
        keeper.tick();
        assert.not.ok(keeper.hasWork, `no snapshot due after entry ${i} (the policy is Never)`);
        await keeper.maybeTake();
        await keeper.busy;
      }
      assert.is(saves, 1);
    },
    undefined,
    0,
    async (keeper, _host, dir) => {
      const store = await SnapshotStore.open(dir);
      for (const index of [5, 10]) {
        const w = await store.create({ index, term: 1, membership: membership() });
        await new Promise<void>((resolve) => w.end(`state at ${index}`, () => resolve()));
        const snap = await w.commit();
        if (index === 10) {
          const fh = await open(snap.path, 'r+');
          await fh.write(Buffer.from('XX'), 0, 2, 0); // the data no longer matches its checksum
          await fh.close();
        }
      }
      keeper.setHandler(handler);
    },
  );
});

test.run();
