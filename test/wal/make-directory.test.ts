// wal's makeDirectory: the one way data directories are made (WAL, snapshots, raft-node --path).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from '../../wal/files.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-mkdir-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('makes every missing level, with and without sync; an existing directory is left alone', async () => {
  const deep = join(root, 'a', 'b', 'c');
  await makeDirectory(deep, true);
  assert.ok(statSync(deep).isDirectory());
  await makeDirectory(deep, true);
  await makeDirectory(join(root, 'x', 'y'), false);
  assert.ok(statSync(join(root, 'x', 'y')).isDirectory());
});

test('callers racing to make the same path all succeed', async () => {
  const path = join(root, 'race', 'one', 'two');
  await Promise.all(Array.from({ length: 8 }, () => makeDirectory(path, true)));
  assert.ok(statSync(path).isDirectory());
});

test('a file where a directory should be is ENOTDIR naming it, at the top or above', async () => {
  const file = join(root, 'file');
  writeFileSync(file, 'x');
  const top = await makeDirectory(file, true).catch((e: NodeJS.ErrnoException) => e);
  assert.is((top as NodeJS.ErrnoException).code, 'ENOTDIR');
  assert.match(String(top), /not a directory, mkdir '.*file'/);
  const below = await makeDirectory(join(file, 'below'), true).catch((e: NodeJS.ErrnoException) => e);
  assert.is((below as NodeJS.ErrnoException).code, 'ENOTDIR');
});

test('a directory the kernel refuses although its parent exists fails at once (Node\'s recursive mkdir spins on /proc)', async () => {
  if (!existsSync('/proc/self')) return;
  const err = await makeDirectory('/proc/tsraft-nope/data', true).catch((e: NodeJS.ErrnoException) => e);
  assert.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  assert.match(String(err), /mkdir '\/proc\/tsraft-nope'/);
});

test.run();
