// Found in review (ByteSlab.keepOrCopy in decodeEntry): `raft-node inspect` reads every
// segment into ONE reused scratch buffer (cmd/inspect.ts SegmentReader: "valid until the next
// read") and relies on decodeEntry copying what it keeps. decodeEntry now keeps a view of a large
// entry (>= 64 KiB, at least half the buffer) instead of copying it, so the entry inspect keeps
// in its window is overwritten by the next segment read: the report shows another entry's bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectDataDir } from '../../cmd/inspect.js';
import { Wal } from '../../wal/index.js';
import { removeDir, tempDir } from '../wal/helpers.js';

test('inspect shows each big entry with its own bytes, not the next segment\'s', async () => {
  const root = await tempDir('tsraft-inspect-');
  try {
    const walDir = join(root, 'wal');
    await mkdir(walDir);
    // Tiny segments without preallocation: each 100 KiB entry fills a segment of its own, so the
    // second segment's read lands on the scratch buffer the first entry's view points into.
    const wal = await Wal.open(walDir, { segmentBytes: 4096, preallocate: false, sync: 'none' });
    const type = 9; // not a known entry type: inspect hex-dumps the first 16 bytes
    await wal.save({ entries: [{ index: 1, term: 1, type, data: new Uint8Array(100 * 1024).fill(0x11) }] });
    await wal.save({ entries: [{ index: 2, term: 1, type, data: new Uint8Array(100 * 1024).fill(0x22) }] });
    await wal.close();

    const report = await inspectDataDir(root);
    const line1 = report.split('\n').find((l) => /\b1\s+1\s+type 9\b/.test(l));
    assert.ok(line1, `entry 1 listed:\n${report}`);
    assert.match(line1!, /11111111111111111111111111111111/, `entry 1 shows its own bytes (0x11), got: ${line1}`);
    assert.not.match(line1!, /2222222222/, 'entry 1 must not show entry 2\'s bytes');
  } finally {
    await removeDir(root);
  }
});

test.run();
