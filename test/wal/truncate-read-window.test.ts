// reads racing truncateAfter. The Wal promises that reads never wait for mutations and
// see one consistent state (a truncation landing during a read makes it start over). truncateAfter
// bumps the generation and drops the kept segment's entries, then awaits the seal of that segment
// (trimUnwritten) before it finishes updating lastIndex, the term index and the cache: a read that
// starts, or starts over, in that window sees half of the truncation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wal, WalRangeError, type Entry } from '../../wal/index.js';
import { Segment } from '../../wal/segment.js';
import { isIntact, makeEntries, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

/** Holds the next Segment.trimUnwritten call until `release()`; `reached` resolves when it is called. */
function holdNextTrim(): { reached: Promise<void>; release: () => void; restore: () => void } {
  const original = Segment.prototype.trimUnwritten;
  let signal!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (signal = r));
  const gate = new Promise<void>((r) => (release = r));
  let armed = true;
  Segment.prototype.trimUnwritten = async function (this: Segment): Promise<void> {
    if (armed) {
      armed = false;
      signal();
      await gate;
    }
    return original.call(this);
  };
  return { reached, release, restore: () => (Segment.prototype.trimUnwritten = original) };
}

test('a disk read racing truncateAfter gets the entries or a range error, never a false WalCorruptionError', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  let wal = await Wal.open(dir, { sync: 'none', preallocate: false });
  await wal.save({ entries: makeEntries(1, 10, 1) });
  await wal.close();
  wal = await Wal.open(dir, { sync: 'none', preallocate: false }); // empty cache: reads go to disk
  const hold = holdNextTrim();
  try {
    const truncating = wal.truncateAfter(5);
    await hold.reached; // the truncation is under way (a syscall is in flight)
    // The log is [1, 10] until truncateAfter resolves; a reader may ask for its tail.
    const reading: Promise<Entry[] | Error> = wal.entries(6, 11).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 20)); // the read's disk I/O completes in the window
    hold.release();
    await truncating;
    assertEntriesOrRangeError(await reading);
  } finally {
    hold.restore();
    await wal.close();
  }
});

/** What a read of [6, 10] racing the truncation may answer: those entries intact, or a range error. */
function assertEntriesOrRangeError(got: Entry[] | Error): void {
  if (got instanceof Error) {
    assert.ok(got instanceof WalRangeError, `read failed with ${got.name}: ${got.message}`);
  } else {
    assert.equal(got.map((e) => e.index), [6, 7, 8, 9, 10]);
    assert.ok(got.every((e) => e.term === 1 && isIntact(e)));
  }
}

/** Holds the next Segment.read call until `release()`. */
function holdNextRead(): { release: () => void; restore: () => void } {
  const original = Segment.prototype.read;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let armed = true;
  Segment.prototype.read = async function (this: Segment, start: number, end: number): Promise<Buffer> {
    const bytes = await original.call(this, start, end);
    if (armed) {
      armed = false;
      await gate;
    }
    return bytes;
  };
  return { release, restore: () => (Segment.prototype.read = original) };
}

test('a disk read in flight when truncateAfter lands starts over cleanly: entries or a range error, never a false WalCorruptionError', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  let wal = await Wal.open(dir, { sync: 'none', preallocate: false });
  await wal.save({ entries: makeEntries(1, 10, 1) });
  await wal.close();
  wal = await Wal.open(dir, { sync: 'none', preallocate: false });
  const read = holdNextRead();
  const trim = holdNextTrim();
  try {
    const reading: Promise<Entry[] | Error> = wal.entries(6, 11).catch((e: Error) => e); // its disk read is slow
    const truncating = wal.truncateAfter(5);
    await trim.reached;
    read.release(); // the read sees the truncation (new generation) and starts over
    await new Promise((r) => setTimeout(r, 20));
    trim.release();
    await truncating;
    assertEntriesOrRangeError(await reading);
  } finally {
    read.restore();
    trim.restore();
    await wal.close();
  }
});

test.run();
