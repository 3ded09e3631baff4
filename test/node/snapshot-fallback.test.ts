// A member's own latest snapshot that rots on disk costs a longer replay, not the member: the log
// is compacted no further back than the snapshot before it (snapshotsKept 2, the default), so at
// start the member falls back to that one and replays the log from there (regression: after a
// second snapshot compacted the log behind the first, the member refused to start, naming the
// entries held by neither). With snapshotsKept 1 the log is compacted right behind the latest and
// such a member still refuses to start.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Node } from '../../src/node.js';
import { parseSnapshotFileName, readSnapshotFile } from '../../src/snapshot/format.js';
import type { StoredSnapshot } from '../../src/snapshot/types.js';
import { SetCommand, TestCluster, type Kv } from '../support/node-cluster.js';

type Lines = Array<{ level: string; line: string }>;

/** Small segments and no trailing entries, so that every snapshot compacts as far as it may. */
function cluster(extra: { snapshotsKept?: number } = {}): { c: TestCluster; lines: Lines } {
  const lines: Lines = [];
  const c = new TestCluster(3, {
    snapshotTrailingEntries: 0,
    walSegmentBytes: 1024,
    logLevel: 'info',
    logger: (level, line) => lines.push({ level, line }),
    ...extra,
  });
  return { c, lines };
}

const latestStored = (node: Node<Kv>): StoredSnapshot => (node as unknown as { snapshots: { latestStored: StoredSnapshot } }).snapshots.latestStored;

/** Flips a byte inside the application's data of the snapshot file: it no longer verifies. */
function rot(path: string): void {
  const bytes = readFileSync(path);
  bytes[10]! ^= 0xff;
  writeFileSync(path, bytes);
}

/** Writes `count` keys `${prefix}0`... through the leader and waits until `member` applied them. */
async function writeKeys(c: TestCluster, member: Node<Kv>, prefix: string, count: number): Promise<void> {
  const leader = await c.waitLeader();
  for (let i = 0; i < count; i++) await leader.do(new SetCommand(`${prefix}${i}`, String(i)));
  await c.waitFor(() => member.context.data.get(`${prefix}${count - 1}`) === String(count - 1), 5000, `${prefix}* applied on the member`);
}

/** A follower of a running cluster, with `keys` written and applied on it. */
async function followerWith(c: TestCluster, prefix: string, keys: number): Promise<{ address: string; node: Node<Kv> }> {
  await c.startAll();
  const leader = await c.waitLeader();
  const address = c.addresses.find((a) => a !== leader.address)!;
  const node = c.node(address);
  await writeKeys(c, node, prefix, keys);
  return { address, node };
}

const hasAll = (node: Node<Kv>, prefix: string, count: number): boolean =>
  Array.from({ length: count }, (_, i) => node.context.data.get(`${prefix}${i}`) === String(i)).every(Boolean);

test('a member whose latest snapshot rotted restarts from the one before it, replays the log from there, has every entry, and takes a snapshot to replace the rotten one', async () => {
  const { c, lines } = cluster();
  try {
    const { address, node } = await followerWith(c, 'a', 40);
    const first = await node.snapshot();
    await writeKeys(c, node, 'b', 40);
    const second = await node.snapshot();
    assert.ok(second > first, `two snapshots (${first}, ${second})`);
    const { firstIndex, lastIndex } = node.status();
    assert.ok(firstIndex > 1 && firstIndex <= first + 1, `the second snapshot compacted the log, but not past the first (first index ${firstIndex}, snapshots at ${first} and ${second})`);
    const rotten = latestStored(node).path;
    await c.stop(address);
    rot(rotten);

    const restarted = await c.start(address);
    assert.is(restarted.status().snapshotIndex, first, 'it fell back to the first snapshot');
    assert.is(restarted.status().lastIndex, lastIndex, 'no entry was deleted');
    assert.ok(lines.some((l) => l.level === 'error' && l.line.includes(`corrupt snapshot ${rotten}`) && l.line.includes('skipped')), 'the rotten file is logged');
    await c.waitFor(() => hasAll(restarted, 'a', 40) && hasAll(restarted, 'b', 40), 5000, 'every key on the restarted member');
    await c.waitConverged();

    // It takes a snapshot by itself to replace the rotten file, not when the policy next wants one.
    await c.waitFor(() => latestStored(restarted).meta.index > first, 5000, 'a snapshot replacing the rotten one');
    await writeKeys(c, restarted, 'c', 5);
    await restarted.snapshot();
    const dir = dirname(rotten);
    const files = readdirSync(dir).filter((name) => name.endsWith('.snap'));
    assert.is(files.length, 2, `two snapshots kept: ${files.join(', ')}`);
    for (const name of files) await readSnapshotFile(join(dir, name), parseSnapshotFileName(name)!); // each verifies
  } finally {
    await c.close();
  }
});

test('a member whose only snapshot rotted restarts from the start of its log: the first snapshot compacts nothing', async () => {
  const { c } = cluster();
  try {
    const { address, node } = await followerWith(c, 'a', 40);
    const only = await node.snapshot();
    assert.ok(only > 40);
    assert.is(node.status().firstIndex, 1, 'the log reaches back to its start');
    const rotten = latestStored(node).path;
    await c.stop(address);
    rot(rotten);

    const restarted = await c.start(address);
    assert.is(restarted.status().snapshotIndex, 0, 'no snapshot to start from');
    await c.waitFor(() => hasAll(restarted, 'a', 40), 5000, 'every key replayed from the log');
    await c.waitConverged();
  } finally {
    await c.close();
  }
});

test('with snapshotsKept 1 the log is compacted right behind the latest snapshot, and a member whose snapshot rotted does not start', async () => {
  const { c } = cluster({ snapshotsKept: 1 });
  try {
    const { address, node } = await followerWith(c, 'a', 40);
    const only = await node.snapshot();
    const { firstIndex } = node.status();
    assert.ok(firstIndex > 1, `compacted behind the only snapshot at ${only} (first index ${firstIndex})`);
    const rotten = latestStored(node).path;
    await c.stop(address);
    rot(rotten);

    const refused = await c.start(address).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.instance(refused, Error);
    assert.match(refused!.message, `the log starts at entry ${firstIndex} but no readable snapshot was found`);
  } finally {
    await c.close();
  }
});

test.run();
