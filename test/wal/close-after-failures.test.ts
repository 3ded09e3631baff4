// After an I/O failure the Wal must still give back every file it opened when closed.
// close() "closes every file and releases the directory's lock" (wal.ts JSDoc). Segment files
// opened by an operation that then failed half-way, or left open because close()'s own write of
// a lazy hard state failed, stay open for the life of the process (a descriptor leak per failure,
// and the files of a deleted directory keep their disk space).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal, WalIOError } from '../../wal/index.js';
import { failOnce, makeEntries, openFilesIn, tempDir, removeDir } from './helpers.js';

test('close() closes every segment file even when its write of a lazy hard state fails', async () => {
  const dir = await tempDir('tsraft-rv-leak-');
  const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 4096, cacheBytes: 0 });
  await wal.save({ entries: makeEntries(1, 5, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  await wal.save({ hardState: { term: 1, vote: 1, commit: 5 }, lazy: true });
  const inject = await failOnce('write', 'EIO');
  try {
    await wal.close().catch(() => undefined);
  } finally {
    inject.restore();
  }
  assert.ok(inject.fired(), 'the lazy hard state was written at close');
  const left = await openFilesIn(dir);
  await removeDir(dir);
  assert.equal(left, [], `files still open after close(): ${left.join(', ')}`);
});

test('a truncateAfter that fails after creating its new segment: close() still closes that segment', async () => {
  const dir = await tempDir('tsraft-rv-leak-');
  // preallocate false: the first FileHandle.truncate of truncateAfter is the old segment's trim,
  // after the new segment was created and renamed into place.
  const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 4096, cacheBytes: 0, preallocate: false });
  await wal.save({ entries: makeEntries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 0 } });
  const inject = await failOnce('truncate', 'EIO');
  let error: unknown;
  try {
    await wal.truncateAfter(5).catch((e) => (error = e));
  } finally {
    inject.restore();
  }
  assert.ok(inject.fired());
  assert.instance(error, WalIOError);
  await wal.close();
  const left = await openFilesIn(dir);
  await removeDir(dir);
  assert.equal(left, [], `files still open after close(): ${left.join(', ')}`);
});

test('a segment roll that fails after creating the new segment: close() still closes that segment', async () => {
  const dir = await tempDir('tsraft-rv-leak-');
  const wal = await Wal.open(dir, { sync: 'always', segmentBytes: 512, cacheBytes: 0, preallocate: false });
  await wal.save({ entries: makeEntries(1, 5, 1, 60), hardState: { term: 1, vote: 1, commit: 0 } });
  // The next save does not fit: roll = create 6.wal, then trim 1.wal (the injected failure).
  const inject = await failOnce('truncate', 'EIO');
  let error: unknown;
  try {
    await wal.save({ entries: makeEntries(6, 10, 1, 60) }).catch((e) => (error = e));
  } finally {
    inject.restore();
  }
  assert.ok(inject.fired());
  assert.instance(error, WalIOError);
  await wal.close();
  const left = await openFilesIn(dir);
  await removeDir(dir);
  assert.equal(left, [], `files still open after close(): ${left.join(', ')}`);
});

test.run();
