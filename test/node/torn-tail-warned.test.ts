// A torn tail the WAL cuts at start is said, by segment file, byte offset, bytes cut and the last
// entry kept, and the LostDataError that follows when the cut entries had been acknowledged points
// at it. Found in a user trial: a follower's last segment cut inside its last record started with
// only "started at term 5, applied 3807, log [2920, 4005]", and 1.7 s later a LostDataError blamed
// a wiped directory.
import { readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LostDataError } from '../../src/index.js';
import { checkFrame, decodeSegmentHeader, decodeUpdate, SEGMENT_HEADER_BYTES } from '../../wal/record.js';
import { TestCluster, waitUntil } from '../support/node-cluster.js';
import { startWithFiveWrites } from '../support/wiped-member.js';

/** Cuts the last segment of `walDir` inside its last record that holds entries; returns the cut. */
async function tearLastEntries(walDir: string): Promise<{ segment: string; offset: number; lastKept: number }> {
  const segment = join(walDir, (await readdir(walDir)).filter((n) => n.endsWith('.wal')).sort().at(-1)!);
  const buf = await readFile(segment);
  const header = decodeSegmentHeader(buf);
  if (typeof header === 'string') throw new Error(header);
  let last: { offset: number; firstIndex: number } | undefined;
  for (let pos = SEGMENT_HEADER_BYTES, end = checkFrame(buf, pos, buf.length, header.salt); end > 0; pos = end, end = checkFrame(buf, pos, buf.length, header.salt)) {
    const update = decodeUpdate(buf, pos, end);
    if (typeof update !== 'string' && update.indices.length > 0) last = { offset: pos, firstIndex: update.indices[0]! };
  }
  assert.ok(last, `a record with entries in ${segment}`);
  await truncate(segment, last.offset + 10);
  return { segment, offset: last.offset, lastKept: last.firstIndex - 1 };
}

test('a torn tail cut at start is a warning naming the segment, offset, bytes and last entry kept; the LostDataError it leads to names it', async () => {
  const c = new TestCluster(3, { sync: 'always' });
  try {
    const { follower } = await startWithFiveWrites(c);
    await c.stop(follower);
    const cut = await tearLastEntries(join(c.root, follower.replace(':', '-'), 'wal'));
    const lines: string[] = [];
    const fatal: Error[] = [];
    c.configure = (node, address) => {
      if (address === follower) node.onFatal((err) => fatal.push(err));
    };
    await c.start(follower, { logger: (level, line) => lines.push(`${level} ${line}`) });
    const warning = lines.find((l) => l.startsWith('warn cut a torn tail'));
    assert.ok(warning, lines.join('\n'));
    assert.ok(warning.includes(`10 bytes at byte offset ${cut.offset} of ${cut.segment}`), warning);
    assert.ok(warning.includes(`the log now ends at entry ${cut.lastKept}`), warning);
    assert.match(warning, /will stop with LostDataError/);
    await waitUntil('the member to stop itself', () => fatal.length > 0, 5000);
    assert.instance(fatal[0], LostDataError);
    assert.match(fatal[0]!.message, new RegExp(`whose log ends at index ${cut.lastKept}: `));
    assert.ok(fatal[0]!.message.includes(`a torn tail was cut from its log after entry ${cut.lastKept} (10 bytes at byte offset ${cut.offset} of ${cut.segment}), which may be where they went`), fatal[0]!.message);
  } finally {
    c.configure = undefined;
    await c.close();
  }
});

test.run();
