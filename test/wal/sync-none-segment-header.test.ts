// README, WAL `sync`: "'none': nothing is synced; a process crash loses nothing, a machine crash
// or power loss can lose recent saves". A segment was created with no sync at all under 'none':
// after a power loss the file system could keep the new name and (sparse) size but not the
// header's data block, and Wal.open then refused the whole log ("bad magic number") instead of
// losing recent saves (found in review). Each new segment's header is now synced before the
// rename that names it, also under 'none': checked here by watching the file handles' syncs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal } from '../../wal/index.js';
import { makeEntries, tempDir } from './helpers.js';

test("sync none: a new segment's header is synced before the rename that names it", async () => {
  const dir = await tempDir('tsraft-none-header-');
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void>; sync: () => Promise<void> };
  await probe.close();
  await rm(join(dir, 'probe'));
  const { datasync, sync } = proto;
  let syncs = 0;
  proto.datasync = function (this: unknown) {
    syncs++;
    return datasync.call(this);
  };
  proto.sync = function (this: unknown) {
    syncs++;
    return sync.call(this);
  };
  try {
    const wal = await Wal.open(join(dir, 'wal'), { sync: 'none', segmentBytes: 1024, cacheBytes: 0 });
    const before = syncs;
    for (let i = 0; i < 8; i++) await wal.save({ entries: makeEntries(i * 5 + 1, i * 5 + 5, 1, 40), hardState: { term: 1, vote: 1, commit: i * 5 } });
    const segments = (await readdir(join(dir, 'wal'))).filter((n) => n.endsWith('.wal')).length;
    await wal.close();
    assert.ok(segments >= 3, `rolled (${segments} segments)`);
    assert.ok(syncs - before >= segments - 1, `${syncs - before} syncs for ${segments - 1} new segments`);
  } finally {
    proto.datasync = datasync;
    proto.sync = sync;
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
