// `raft-node inspect` reads a log one segment at a time: it read every segment file whole before
// scanning any, so a log of many 64 MiB segments needed its whole size in memory (found in
// review). Measured in a child process: the peak of Buffer memory still reachable (sampled right
// after a collection) while inspecting 160 MiB of log in 4 MiB segments stays under a quarter of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Wal } from '../../wal/index.js';
import { removeDir, tempDir } from '../wal/helpers.js';

const SEGMENT_BYTES = 4 * 1024 * 1024;
const LOG_BYTES = 160 * 1024 * 1024;

test('inspect holds about one segment of the log at a time, not the whole log', async () => {
  const root = await tempDir('tsraft-inspect-memory-');
  try {
    const wal = await Wal.open(join(root, 'wal'), { segmentBytes: SEGMENT_BYTES, sync: 'none', preallocate: false });
    const data = new Uint8Array(16 * 1024).fill(7);
    const perUpdate = 64;
    let index = 1;
    for (let written = 0; written < LOG_BYTES; written += perUpdate * data.length) {
      const entries = Array.from({ length: perUpdate }, () => ({ index: index++, term: 1, type: 0, data }));
      await wal.save({ hardState: { term: 1, vote: 0, commit: index - 1 }, entries });
    }
    await wal.close();
    const child = join(import.meta.dirname, 'inspect-memory-child.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', child, root], { timeout: 60_000 });
    const { peakBytes, segments } = JSON.parse(stdout) as { peakBytes: number; segments: number };
    assert.ok(segments >= 30, `the log spans ${segments} segments`);
    assert.ok(peakBytes < LOG_BYTES / 4, `peak Buffer memory ${(peakBytes / 2 ** 20).toFixed(0)} MiB while inspecting ${LOG_BYTES / 2 ** 20} MiB of log`);
  } finally {
    await removeDir(root);
  }
});

test.run();
