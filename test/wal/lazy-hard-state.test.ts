// From a mutation review of Wal.saveNow: `lazy` may defer only a commit-index change. A hard
// state whose term alone, or vote alone, differs from the current one must be written (and with
// sync 'always', synced) before save resolves, so a crash right after cannot lose it. The existing
// regression test changes term and vote together, so dropping either half of the check survived.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, type HardState } from '../../wal/index.js';
import { makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** Opens a copy of the files of `dir` as a crash at this moment would leave them (no close). */
async function hardStateAfterCrash(dir: string): Promise<HardState> {
  const crashed = await tempDir('tsraft-wal-review-lazy-');
  dirs.push(crashed);
  for (const name of await readdir(dir)) if (name.endsWith('.wal')) await copyFile(join(dir, name), join(crashed, name));
  const copy = await Wal.open(crashed, { sync: 'always' });
  try {
    return copy.hardState;
  } finally {
    await copy.close();
  }
}

const CASES: { rule: string; next: HardState }[] = [
  { rule: 'a new term with the same vote', next: { term: 3, vote: 0, commit: 3 } },
  { rule: 'a new vote in the same term', next: { term: 2, vote: 7, commit: 3 } },
];

for (const { rule, next } of CASES) {
  test(`lazy save of ${rule} is written and synced at once and survives a crash`, async () => {
    const dir = await tempDir('tsraft-wal-review-lazy-');
    dirs.push(dir);
    const wal = await Wal.open(dir, { sync: 'always' });
    try {
      await wal.save({ hardState: { term: 2, vote: 0, commit: 0 }, entries: makeEntries(1, 3, 2) });
      await wal.save({ hardState: next, lazy: true });
      assert.is(wal.stats.syncs, 2, 'the lazy save was written and synced before it resolved');
      assert.equal(await hardStateAfterCrash(dir), next, 'a crash right after the save keeps it');
    } finally {
      await wal.close();
    }
  });
}

test('lazy save of a commit-only change is still deferred (no write until the next record or close)', async () => {
  const dir = await tempDir('tsraft-wal-review-lazy-');
  dirs.push(dir);
  const wal = await Wal.open(dir, { sync: 'always' });
  try {
    await wal.save({ hardState: { term: 2, vote: 0, commit: 0 }, entries: makeEntries(1, 3, 2) });
    await wal.save({ hardState: { term: 2, vote: 0, commit: 3 }, lazy: true });
    assert.is(wal.stats.syncs, 1);
    assert.equal(await hardStateAfterCrash(dir), { term: 2, vote: 0, commit: 0 });
  } finally {
    await wal.close();
  }
});

test('a lazy hard state is kept by a reset without a hard state of its own: a crash right after it reopens with the lazy commit', async () => {
  const dir = await tempDir('tsraft-wal-review-lazy-');
  dirs.push(dir);
  const wal = await Wal.open(dir, { sync: 'always' });
  try {
    await wal.save({ hardState: { term: 2, vote: 1, commit: 0 }, entries: makeEntries(1, 3, 2) });
    await wal.save({ hardState: { term: 2, vote: 1, commit: 3 }, lazy: true });
    await wal.reset(10, 2);
    assert.equal(wal.hardState, { term: 2, vote: 1, commit: 3 });
    assert.equal(await hardStateAfterCrash(dir), { term: 2, vote: 1, commit: 3 }, "the reset's segment header carries the lazy commit");
  } finally {
    await wal.close();
  }
});

test.run();
