// WalStorage under crashes: what a crash leaves after persist (votes, lazy commit), after a
// received snapshot was stored but before the log reset, and when the snapshot a log was
// compacted behind is gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { WalStorage } from '../../../src/storage.js';
import { Wal } from '../../../wal/index.js';
import { makeEntries } from '../helpers.js';

const dirs: string[] = [];
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tsraft-storage-'));
  dirs.push(d);
  return d;
}
/** The directory as a kill -9 would leave it (the LOCK of the live process left out). */
async function crashCopy(dir: string): Promise<string> {
  const copy = await temp();
  for (const n of await readdir(dir)) if (!n.startsWith('LOCK')) await cp(join(dir, n), join(copy, n));
  return copy;
}
const meta = (index: number, term: number) => ({ index, term, membership: [], size: 0 });

test('persist: a vote is on disk when persist resolves; a commit-only change is lazy and may be lost', async () => {
  const dir = await temp();
  const s = await WalStorage.open(dir, { sync: 'always', segmentBytes: 4096 });
  await s.persist(makeEntries(1, 3, 1) as never, { term: 1, vote: 0, commit: 0 });
  await s.persist([], { term: 5, vote: 2, commit: 0 });
  let wal = await Wal.open(await crashCopy(dir), { sync: 'always' });
  assert.equal(wal.hardState, { term: 5, vote: 2, commit: 0 }, 'the vote survives a crash right after persist resolves');
  await wal.close();
  await s.persist([], { term: 5, vote: 2, commit: 3 });
  assert.is(s.wal.hardState.commit, 3);
  wal = await Wal.open(await crashCopy(dir), { sync: 'always' });
  assert.equal(wal.hardState, { term: 5, vote: 2, commit: 0 }, 'lazy: only the commit index is lost');
  await wal.close();
  // A Ready with entries and a commit: written with them.
  await s.persist(makeEntries(4, 4, 5) as never, { term: 5, vote: 2, commit: 4 });
  wal = await Wal.open(await crashCopy(dir), { sync: 'always' });
  assert.equal(wal.hardState, { term: 5, vote: 2, commit: 4 });
  assert.is(wal.lastIndex, 4);
  await wal.close();
  await s.close();
});

test('a received snapshot stored but the log not reset (crash in between): open resets the log after it', async () => {
  const dir = await temp();
  const s = await WalStorage.open(dir, { sync: 'always', segmentBytes: 512 });
  await s.persist(makeEntries(1, 10, 1) as never, { term: 2, vote: 1, commit: 6 });
  await s.close();
  // Snapshot 15 (past the log) and snapshot 8 with another term (the log diverges there).
  for (const snap of [meta(15, 2), meta(8, 2)]) {
    const copy = await crashCopy(dir);
    const t = await WalStorage.open(copy, { sync: 'always', segmentBytes: 512, snapshot: snap });
    assert.is(t.firstIndex(), snap.index + 1);
    assert.is(t.wal.lastIndex, snap.index);
    assert.is(t.term(snap.index), snap.term);
    assert.equal(t.initialState().hardState, { term: 2, vote: 1, commit: snap.index });
    await t.close();
    const again = await Wal.open(copy, { sync: 'always' });
    assert.is(again.firstIndex, snap.index + 1, 'the reset is durable');
    await again.close();
  }
  // Snapshot 8 in term 1: the log holds it; nothing is reset.
  const t = await WalStorage.open(await crashCopy(dir), { sync: 'always', segmentBytes: 512, snapshot: meta(8, 1) });
  assert.is(t.firstIndex(), 1);
  assert.is(t.wal.lastIndex, 10);
  await t.close();
});

test('the snapshot the log was compacted behind is missing: open refuses, and touches nothing', async () => {
  const dir = await temp();
  const s = await WalStorage.open(dir, { sync: 'always', segmentBytes: 512 });
  for (let i = 1; i <= 40; i += 4) await s.persist(makeEntries(i, i + 3, 1) as never, { term: 1, vote: 0, commit: i + 3 });
  await s.compact(meta(30, 1), 0);
  const first = s.firstIndex();
  assert.ok(first > 1 && first <= 31, `firstIndex ${first}`);
  await s.close();
  for (const snapshot of [undefined, meta(first - 3, 1)]) {
    const copy = await crashCopy(dir);
    try {
      await WalStorage.open(copy, { sync: 'always', segmentBytes: 512, ...(snapshot ? { snapshot } : {}) });
      assert.unreachable('must refuse');
    } catch (error) {
      assert.match((error as Error).message, /in neither/);
    }
    const wal = await Wal.open(copy, { sync: 'always' });
    assert.is(wal.firstIndex, first);
    assert.is(wal.lastIndex, 40);
    await wal.close();
  }
  // With the snapshot (or a newer one), it opens.
  const ok = await WalStorage.open(await crashCopy(dir), { sync: 'always', segmentBytes: 512, snapshot: meta(first - 1, 1) });
  assert.is(ok.wal.lastIndex, 40);
  await ok.close();
});

test.after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
test.run();
