// Review (mutation testing of the WAL's fsyncs): with sync 'always', what an operation did to the
// directory (segment created by rename, segments deleted) must be fsync'ed before the operation
// resolves, and so must what open did to repair the log (dead segments deleted, a torn tail cut).
// The crash tests check only that a crash recovers to "before or after", which a missing fsync
// rarely breaks in their scenarios; these tests pin the syncs themselves, through the fault-fs
// shim's record of directory operations not yet covered by an fsync of their directory.
import { register } from 'node:module';
import { appendFile, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

register('./faults/fault-hooks.mjs', import.meta.url);
const { crashEverywhere, controller } = await import('./faults/harness.js');
const { Wal, segmentFileName } = await import('../../wal/index.js');
const { makeEntries } = await import('./helpers.js');
type Op = import('./faults/harness.js').Op;

const dirs: string[] = [];
test.after(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsraft-wal-syncs-'));
  dirs.push(dir);
  return dir;
}

/** Arms the shim's record of file-system steps (no crash) and clears it. */
function arm(): ReturnType<typeof controller> {
  const c = controller();
  Object.assign(c, { armed: true, count: 0, failAt: Infinity, torn: false, dead: false, log: [], pending: [] });
  return c;
}

const SCENARIO: Op[] = [
  { kind: 'save', from: 1, to: 3, term: 1, hs: { term: 1, vote: 1, commit: 0 } },
  ...Array.from({ length: 8 }, (_, k): Op => ({ kind: 'save', from: 4 + 3 * k, to: 6 + 3 * k, term: 1 })), // rolls segments
  { kind: 'truncate', index: 11 }, // deletes later segments
  { kind: 'save', from: 12, to: 20, term: 2 },
  { kind: 'compact', index: 10 }, // deletes whole segments
  { kind: 'truncateActiveStart' }, // replaces the active segment by name
  { kind: 'save', hs: { term: 2, vote: 2, commit: 5 } },
  { kind: 'reset', index: 40, term: 3 }, // deletes every segment
  { kind: 'save', from: 41, to: 43, term: 3 },
];

for (const preallocate of [true, false]) {
  test(`sync always: every operation resolves with its directory operations fsync'ed (preallocate ${preallocate})`, async () => {
    const result = await crashEverywhere(SCENARIO, { sync: 'always', segmentBytes: 512, preallocate, cacheBytes: 0 }, { maxSteps: 0 });
    assert.ok(result.steps > 20, `${result.steps} steps`);
    assert.equal(result.unsyncedAtResolve, []);
  });
}

test('sync always: open fsyncs the directory after deleting the dead segments an interrupted truncation left', async () => {
  const dir = await newDir();
  const spare = await newDir();
  let wal = await Wal.open(dir, { segmentBytes: 512, sync: 'always' });
  for (let i = 1; i <= 60; i += 3) await wal.save({ entries: makeEntries(i, i + 2, 1) });
  const saved = (await readdir(dir)).filter((n) => n.endsWith('.wal'));
  for (const name of saved) await copyFile(join(dir, name), join(spare, name));
  await wal.truncateAfter(20);
  await wal.close();
  for (const name of saved) if (Number(name.slice(0, 20)) > 21) await copyFile(join(spare, name), join(dir, name));
  const c = arm();
  try {
    wal = await Wal.open(dir, { segmentBytes: 512, sync: 'always' });
    assert.ok(wal.recovery.deletedSegments > 0, 'dead segments found');
    assert.equal(c.pending, [], 'the deletions are durable when open resolves');
  } finally {
    c.armed = false;
  }
  await wal.close();
});

test('sync always: the torn tail cut at open is made durable (datasync after the truncate), also without preallocation', async () => {
  const dir = await newDir();
  const options = { segmentBytes: 1 << 20, sync: 'always' as const, preallocate: false };
  let wal = await Wal.open(dir, options);
  await wal.save({ entries: makeEntries(1, 4, 1) });
  await wal.close();
  const file = join(dir, segmentFileName(1));
  await appendFile(file, Buffer.from('a torn final write'));
  const c = arm();
  let log: string[];
  try {
    wal = await Wal.open(dir, options);
    log = [...c.log];
  } finally {
    c.armed = false;
  }
  assert.ok(wal.recovery.tornTailBytes > 0, 'a torn tail was cut');
  assert.is(wal.lastIndex, 4);
  await wal.close();
  const cut = log.findIndex((line) => line.includes(`truncate ${file}`));
  assert.ok(cut >= 0, `no truncate of the segment in:\n${log.join('\n')}`);
  assert.ok(
    log.slice(cut + 1).some((line) => line.includes(`datasync ${file}`) || line.includes(`sync ${file}`)),
    `the truncate is never synced:\n${log.join('\n')}`,
  );
});

test.run();
