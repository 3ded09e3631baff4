// `raft-node inspect` on data directories the node refuses to start, or would start wrongly: each is
// a problem (exit status 3) in the node's own words. Found in a user trial, where inspect said "No
// damage found." and exited 0 on:
// - a log that starts past every readable snapshot (all snapshots deleted): only a membership warning;
// - an empty or garbage MEMBER file: not read at all;
// - a lost INCARNATION in a directory holding a log and a PEERS file: "the next start makes one",
//   whose new incarnation the members then refuse.
// Also its wording (same trial): an unreadable LOCK names which one (LOCK or wal/LOCK) and a cause
// that can be true, and a --from before the log's first entry says why the listing starts later.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectMain, inspectReport } from '../../cmd/inspect.js';
import { captured } from './inspect-output.js';
import { Wal } from '../../wal/index.js';
import { readMember } from '../../src/member-identity.js';
import { WalStorage } from '../../src/storage.js';
import { removeDir, tempDir } from '../wal/helpers.js';

const roots: string[] = [];

test.after(async () => {
  await Promise.all(roots.map(removeDir));
});

/**
 * A data directory whose wal/ holds entries 1..12 in segments of 3, compacted before `compactBefore`
 * (1: not compacted), with no snapshot and none of the small files; closed.
 */
async function dataDir(compactBefore = 1): Promise<string> {
  const root = await tempDir('tsraft-inspect-refused-');
  roots.push(root);
  await mkdir(join(root, 'wal'));
  const wal = await Wal.open(join(root, 'wal'), { segmentBytes: 512, sync: 'none' });
  for (let i = 1; i <= 12; i++) await wal.save({ entries: [{ index: i, term: 1, type: 0, data: Buffer.alloc(100, i) }] });
  if (compactBefore > 1) await wal.compactBefore(compactBefore);
  await wal.close();
  return root;
}

/** The report and inspectMain's exit status for `root`. */
async function inspected(root: string, args: string[] = []): Promise<{ text: string; status: number }> {
  const out = captured();
  const status = await inspectMain([root, ...args], out);
  assert.is(out.stderr, '');
  return { text: out.stdout, status };
}

test('a log that starts past every readable snapshot is a problem in the words start() refuses it with', async () => {
  const root = await dataDir(7);
  const { text, status } = await inspected(root);
  assert.is(status, 3, text);
  assert.match(text, /^1 problem found/m);
  const refusal = await WalStorage.open(join(root, 'wal'), { sync: 'none' }).then(
    () => assert.unreachable('the node opens this log'),
    (err: Error) => err.message,
  );
  assert.match(refusal as string, /^the log starts at entry 7 but no readable snapshot was found/);
  assert.ok(text.includes(`  Problem: ${refusal}\n`), text);
});

test('MEMBER is read by the node\'s reader: kept shown, an empty or garbage file a problem in its words (escaped)', async () => {
  const root = await dataDir();
  await writeFile(join(root, 'MEMBER'), '127.0.0.1:47003\n');
  const kept = await inspected(root);
  assert.is(kept.status, 0, kept.text);
  assert.match(kept.text, /^Belongs to member 127\.0\.0\.1:47003 \(MEMBER\)/m);
  for (const content of ['\n', 'zz\x01\xff garbage\n']) {
    await writeFile(join(root, 'MEMBER'), Buffer.from(content, 'latin1'));
    const why = await readMember(root).then(
      () => assert.unreachable('the node reads this MEMBER file'),
      (err: Error) => err.message,
    );
    const { text, status } = await inspected(root);
    assert.is(status, 3, text);
    assert.ok(text.includes(`Problem: ${why} (start() refuses it)`), text);
    assert.not.match(text, /\x01/, 'no control byte printed raw');
  }
  await rm(join(root, 'MEMBER'));
  assert.match((await inspected(root)).text, /^No member address kept yet \(MEMBER\)/m);
});

test('a lost INCARNATION in a directory holding a log and a PEERS file is a problem naming where the old value is; a directory without data or without PEERS is none', async () => {
  const root = await dataDir();
  await writeFile(join(root, 'MEMBER'), '127.0.0.1:47003\n');
  await writeFile(join(root, 'PEERS'), '127.0.0.1:47001 0123456789abcdef\n');
  const lost = await inspected(root);
  assert.is(lost.status, 3, lost.text);
  assert.match(lost.text, /^1 problem found/m);
  assert.match(lost.text, /^Problem: no data directory incarnation \(INCARNATION\) in a directory that holds a log or snapshot and a PEERS file: the file was lost\./m);
  assert.match(lost.text, /the next start would make a new one, which they refuse as a wiped member's/);
  assert.match(lost.text, /every member's PEERS file holds it under 127\.0\.0\.1:47003 \(raft-node inspect on a member's data directory lists it\)/);
  assert.not.match(lost.text, /the next start makes one\./);

  await rm(join(root, 'PEERS'));
  const upgraded = await inspected(root);
  assert.is(upgraded.status, 0, 'a directory from before incarnations has none: not counted');
  assert.match(upgraded.text, /^No data directory incarnation \(INCARNATION\), though the directory holds a log or snapshot: the next start makes one\. Harmless for a directory last run by a version from before 12-07/m);

  await rm(join(root, 'wal'), { recursive: true });
  await mkdir(join(root, 'wal'));
  await writeFile(join(root, 'PEERS'), '127.0.0.1:47001 0123456789abcdef\n');
  const empty = await inspected(root);
  assert.is(empty.status, 0, empty.text);
  assert.match(empty.text, /^No data directory incarnation yet \(INCARNATION\): the next start makes one\.$/m);
});

test('an unreadable LOCK says which one, and a cause that can be true (it is linked into place whole)', async () => {
  const root = await dataDir();
  await writeFile(join(root, 'wal', 'LOCK'), 'garbage');
  const wal = (await inspectReport(root)).text;
  assert.match(wal, /^Its wal\/LOCK file holds no lock record: no process holds it \(a lock is linked into place whole, so this is a machine crash before its record reached the disk under sync 'none', or something else wrote the file\); the next start takes it over\.$/m);
  assert.not.match(wal, /a crash while it was written/);
  await writeFile(join(root, 'LOCK'), '');
  assert.match((await inspectReport(root)).text, /^Its LOCK file holds no lock record/m);
});

test('--from before the log\'s first entry says that the entries before it were compacted into a snapshot', async () => {
  const root = await dataDir(7);
  const { text } = await inspected(root, ['--from', '2', '--limit', '2']);
  assert.match(text, /^Entries 7\.\.8 /m);
  assert.match(text, /^  note: --from 2 is before the log's first entry, 7: entries before it were compacted into a snapshot/m);
  const inside = await inspected(root, ['--from', '8', '--limit', '2']);
  assert.not.match(inside.text, /note: --from/);
});

test.run();
