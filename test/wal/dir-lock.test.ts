// One writer per WAL directory: a second Wal.open on a directory in use (by this process or
// another) rejects with DirectoryLockedError before touching a byte; a lock left by a process that
// is gone is taken over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryLock, DirectoryLockedError, LOCK_FILE, Wal, lockHolder } from '../../wal/index.js';
import { makeEntries, removeDir, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url));
const dirs: string[] = [];

async function newDir(): Promise<string> {
  const dir = await tempDir('tsraft-lock-');
  dirs.push(dir);
  return dir;
}

/** Every file of `dir` with a hash of its bytes. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  return out;
}

async function lockedError(promise: Promise<unknown>): Promise<DirectoryLockedError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DirectoryLockedError);
    return error as DirectoryLockedError;
  }
  assert.unreachable('expected a DirectoryLockedError');
  throw new Error('unreachable');
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

/** Field 22 of /proc/PID/stat: the process's start time. */
async function startTime(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

test('a second Wal.open on a directory this process has open rejects, naming it, and changes nothing', async () => {
  const dir = await newDir();
  const wal = await Wal.open(dir, { sync: 'none', segmentBytes: 4096 });
  await wal.save({ entries: makeEntries(1, 50, 1), hardState: { term: 1, vote: 1, commit: 40 } });
  const before = await contents(dir);
  const error = await lockedError(Wal.open(dir, { sync: 'none', segmentBytes: 4096 }));
  assert.ok(error.inThisProcess);
  assert.is(error.pid, process.pid);
  assert.match(error.message, dir);
  assert.equal(await contents(dir), before, 'the refused open changed the directory');
  // Two opens at once: exactly one wins.
  await wal.close();
  const both = await Promise.allSettled([Wal.open(dir, { sync: 'none' }), Wal.open(dir, { sync: 'none' })]);
  assert.is(both.filter((r) => r.status === 'fulfilled').length, 1);
  assert.instance((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason, DirectoryLockedError);
  await (both.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Wal>).value.close();
});

test('the same directory through a symlink is the same directory', async () => {
  const dir = await newDir();
  const link = `${dir}-link`;
  await symlink(dir, link);
  dirs.push(link);
  const wal = await Wal.open(dir, { sync: 'none' });
  await lockedError(Wal.open(link, { sync: 'none' }));
  await wal.close();
  const again = await Wal.open(link, { sync: 'none' });
  await again.close();
});

test('close releases the directory: it opens again, with every entry, and no LOCK is left', async () => {
  const dir = await newDir();
  const wal = await Wal.open(dir, { sync: 'always' });
  assert.ok((await readdir(dir)).includes(LOCK_FILE), 'LOCK exists while open');
  const holder = await lockHolder(dir);
  assert.is(holder?.pid, process.pid);
  assert.is(holder?.running, true);
  await wal.save({ entries: makeEntries(1, 10, 1) });
  await wal.close();
  assert.not.ok((await readdir(dir)).includes(LOCK_FILE), 'LOCK removed at close');
  assert.is(await lockHolder(dir), undefined);
  const again = await Wal.open(dir, { sync: 'always' });
  assert.is(again.lastIndex, 10);
  assert.equal((await readdir(dir)).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
  await again.close();
});

test('a failed open (a corrupt log) releases the directory', async () => {
  const dir = await newDir();
  await writeFile(join(dir, '00000000000000000001.wal'), 'not a segment header, not at all: garbage');
  for (let i = 0; i < 2; i++) {
    try {
      await Wal.open(dir, { sync: 'none' });
      assert.unreachable('a corrupt log opened');
    } catch (error) {
      assert.not.instance(error, DirectoryLockedError, `attempt ${i}: ${(error as Error).message}`);
    }
  }
  assert.not.ok((await readdir(dir)).includes(LOCK_FILE));
});

test('a stale LOCK is taken over: a dead pid, a reused pid (other start time), our own pid from a copied directory, garbage', async () => {
  const stale = [
    { pid: await deadPid() },
    { pid: process.ppid, startTime: '1' },
    { pid: process.pid },
    'garbage',
    '',
  ];
  for (const record of stale) {
    const dir = await newDir();
    await writeFile(join(dir, LOCK_FILE), typeof record === 'string' ? record : JSON.stringify(record));
    const lock = await DirectoryLock.acquire(dir, { sync: false });
    assert.ok(lock.tookOverFrom, `took over ${JSON.stringify(record)}`);
    assert.is(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    await lock.release();
  }
});

test('a LOCK of a live process (pid and start time match) is respected', async () => {
  const dir = await newDir();
  const parent = { pid: process.ppid, startTime: await startTime(process.ppid) };
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(parent));
  const error = await lockedError(Wal.open(dir, { sync: 'none' }));
  assert.is(error.pid, process.ppid);
  assert.not.ok(error.inThisProcess);
  assert.match(error.message, `another tsraft process (pid ${process.ppid}) is using ${dir}`);
  assert.match(error.message, `delete ${join(dir, LOCK_FILE)}`);
  assert.equal(await readdir(dir), [LOCK_FILE], 'nothing created next to the foreign lock');
  assert.equal(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')), parent, 'the foreign lock is untouched');
});

test('another process holding the WAL: open fails; after it is killed with SIGKILL, open takes the stale lock over', async () => {
  const dir = await newDir();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const before = await contents(dir);
    const error = await lockedError(Wal.open(dir, { sync: 'none' }));
    assert.is(error.pid, child.pid);
    assert.equal(await contents(dir), before, 'the refused open changed the directory');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const wal = await Wal.open(dir, { sync: 'none' });
    assert.is(wal.lastIndex, 1, "the child's entry is there");
    await wal.close();
  } finally {
    child.kill('SIGKILL');
  }
});

test.after(async () => {
  for (const dir of dirs) await removeDir(dir);
});

test.run();
