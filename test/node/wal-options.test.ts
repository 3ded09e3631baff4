// The Node hands its WAL options through: walSegmentBytes sets the size segment files are made at,
// and walPreallocate (default true) whether they are extended to it up front.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SetCommand, TestCluster } from '../support/node-cluster.js';

/** The sizes of the segment files of a one-member cluster's node after 20 writes. */
async function segmentSizes(walPreallocate: boolean | undefined): Promise<number[]> {
  const c = new TestCluster(1, { walSegmentBytes: 64 * 1024, ...(walPreallocate === undefined ? {} : { walPreallocate }) });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    for (let i = 0; i < 20; i++) await leader.do(new SetCommand(`k${i}`, `v${i}`));
    const dir = join(c.root, c.addresses[0]!.replace(':', '-'), 'wal');
    const names = (await readdir(dir)).filter((name) => name.endsWith('.wal'));
    assert.ok(names.length > 0, 'segment files');
    return Promise.all(names.map(async (name) => (await stat(join(dir, name))).size));
  } finally {
    await c.close();
  }
}

test('walPreallocate defaults to true: segment files are made at walSegmentBytes', async () => {
  for (const size of await segmentSizes(undefined)) assert.is(size, 64 * 1024);
});

test('walPreallocate: false leaves segment files at the size of their records', async () => {
  for (const size of await segmentSizes(false)) assert.ok(size < 64 * 1024, `${size} bytes`);
});

test.run();
