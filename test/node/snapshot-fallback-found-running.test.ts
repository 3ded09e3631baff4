// A latest snapshot found corrupt while the node runs (sending it to a lagging follower) is marked
// corrupt in the store, as one found at start is: when its replacement is taken at a higher
// index, retention keeps the sound older snapshot and compaction keeps the log back to it
// (regression, found in review: the rotten file counted as sound, the good older one was deleted
// and the rotten one became the fallback, so one more rot and the member no longer started).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { readSnapshotFile } from '../../src/snapshot/format.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { SetCommand, TestCluster, type Kv } from '../support/node-cluster.js';

type Lines = Array<{ level: string; line: string }>;
const latestStored = (node: Node<Kv>): StoredSnapshot => (node as unknown as { snapshots: { latestStored: StoredSnapshot } }).snapshots.latestStored;
function rot(path: string): void {
  const bytes = readFileSync(path);
  bytes[10]! ^= 0xff;
  writeFileSync(path, bytes);
}
async function sound(path: string): Promise<boolean> {
  try {
    await readSnapshotFile(path);
    return true;
  } catch {
    return false;
  }
}

test('a latest snapshot found corrupt while sending is not counted as a fallback: the good older one is kept and the log not compacted past it, so the member survives a second rot', async () => {
  const lines: Lines = [];
  const c = new TestCluster(3, {
    snapshotTrailingEntries: 0,
    walSegmentBytes: 1024,
    snapshotChunkBytes: 64,
    logLevel: 'info',
    logger: (level, line) => lines.push({ level, line }),
  });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const lagging = c.addresses.find((a) => a !== leader.address)!;
    const leaderAddress = leader.address;
    await c.stop(lagging);
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`a${i}`, String(i)));
    const s1 = await leader.snapshot();
    const s1Path = latestStored(leader).path;
    for (let i = 0; i < 40; i++) await leader.do(new SetCommand(`b${i}`, String(i)));
    const s2 = await leader.snapshot();
    const s2Path = latestStored(leader).path;
    assert.ok(leader.status().firstIndex > 3, `the lagging node needs a snapshot (leader first index ${leader.status().firstIndex})`);
    rot(s2Path); // rots while the leader runs
    for (let i = 0; i < 10; i++) await leader.do(new SetCommand(`c${i}`, String(i)));

    const node = await c.start(lagging);
    await c.waitFor(() => node.context.data.get('c9') === '9', 15_000, 'the lagging node to catch up through the replacement');
    assert.ok(lines.some((l) => l.line.includes('a new snapshot is taken to replace it')), 'the rot was found while sending');
    const s3 = latestStored(leader).meta.index;
    assert.ok(s3 > s2, `the replacement is at a higher index (${s1}, ${s2}, ${s3})`);
    const dir = dirname(s2Path);
    const files = readdirSync(dir).filter((n) => n.endsWith('.snap')).sort();
    const soundFiles: string[] = [];
    for (const f of files) if (await sound(join(dir, f))) soundFiles.push(f);

    // Consequence: the replacement rots too; the member restarts only if a sound fallback and
    // the log back to it were kept.
    const s3Path = latestStored(leader).path;
    await c.stop(leaderAddress);
    rot(s3Path);
    const restarted = await c.start(leaderAddress).then(
      (n) => n,
      (err: Error) => err,
    );
    assert.not.instance(restarted, Error, `the member does not start: ${(restarted as Error).message}`);
    assert.ok(soundFiles.length >= 2, `two sound snapshots kept (the known-corrupt one not counted): ${files.join(', ')}`);
    assert.ok(soundFiles.includes(s1Path.split('/').pop()!), 'the sound first snapshot is kept as the fallback');
  } finally {
    await c.close();
  }
});

test.run();
