// The raft-node program's start-up failures, as real processes: flag errors exit 2 naming the flag
// before anything is created on disk, and a taken peer port is reported once, clearly, without
// grpc-js's own log line in front of the message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/node-cluster.js';
import { http, runRaftNode, waitFor } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-cli-'));

test.after(() => rmSync(root, { recursive: true, force: true }));

test('--members with only non-voting members: exit 2 naming --members, and no data directory is made', async () => {
  const port = await freePort();
  const path = join(root, 'no-voters');
  const r = await runRaftNode(['--host', '127.0.0.1', '--port', String(port), '--path', path, '--members', `127.0.0.1:${port},true`], 60_000);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /^raft-node: --members: lists no voting member/);
  assert.not.ok(existsSync(path), 'nothing was created');
});

test('--members naming one endpoint twice (127.0.0.1 and localhost): exit 2 naming --members, and no data directory is made', async () => {
  const port = await freePort();
  const path = join(root, 'alias');
  const members = `127.0.0.1:${port};localhost:${port};127.0.0.1:${port + 1}`;
  const r = await runRaftNode(['--host', '127.0.0.1', '--port', String(port), '--path', path, '--members', members], 60_000);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^raft-node: --members: localhost:${port} and 127\\.0\\.0\\.1:${port} name the same endpoint`));
  assert.not.ok(existsSync(path), 'nothing was created');
});

test('an empty --path and a bare-number duration: exit 2 naming the flag', async () => {
  const [path, duration] = await Promise.all([
    runRaftNode(['--path', ''], 60_000),
    runRaftNode(['--path', join(root, 'bare'), '--election-timeout', '1000'], 60_000),
  ]);
  assert.is(path.code, 2, path.stderr);
  assert.match(path.stderr, /^raft-node: --path: must not be empty/);
  assert.is(duration.code, 2, duration.stderr);
  assert.match(duration.stderr, /^raft-node: --election-timeout 1000: give a unit, e\.g\. 1000ms or 1s/);
  assert.not.ok(existsSync(join(root, 'bare')));
});

test('a taken peer port: exit 1 with one clear message, no grpc-js log line before it', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const r = await runRaftNode(['--host', '127.0.0.1', '--port', String(port), '--http-port', String(await freePort()), '--path', join(root, 'taken'), '--log-level', 'warn'], 60_000);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /^raft-node: cannot start: .*cannot listen on 127\.0\.0\.1:\d+.*EADDRINUSE/);
    assert.not.match(r.stderr, /^E /m);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

test('a --path that cannot be a directory: exit 1 naming the flag and the path, at once (a path under /proc made Node\'s recursive mkdir spin forever)', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const flags = async (): Promise<string[]> => ['--host', '127.0.0.1', '--port', String(await freePort()), '--http-port', String(await freePort())];
  const cases: Array<[string, RegExp]> = [
    [file, /ENOTDIR: not a directory, mkdir '.*a-file'/],
    [join(file, 'below'), /ENOTDIR: not a directory, stat '.*a-file\/below'/],
  ];
  if (existsSync('/proc/self')) cases.push(['/proc/tsraft-nope/data', /ENOENT: no such file or directory, mkdir '\/proc\/tsraft-nope'/]);
  for (const [path, message] of cases) {
    const r = await runRaftNode([...(await flags()), '--path', path], 20_000);
    assert.is(r.code, 1, `${path}: ${r.stderr}`);
    // Naming the flag: the errno message alone named a file inside it (LOCK.<pid>.tmp) or a parent.
    assert.ok(r.stderr.startsWith(`raft-node: cannot start: --path ${path}: cannot use it as the data directory (`), r.stderr);
    assert.match(r.stderr, message);
  }
});

test('the node stops itself when its storage fails: the process exits 1 (a supervisor restarts it) instead of answering 503 for ever', async () => {
  const [port, httpPort] = [await freePort(), await freePort()];
  const path = join(root, 'storage-fails');
  const url = `http://127.0.0.1:${httpPort}`;
  const exited = runRaftNode(['--host', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--path', path, '--members', `127.0.0.1:${port}`, '--wal-segment-bytes', '4096', '--log-level', 'warn'], 60_000);
  await waitFor('the first write', async () => (await http(`${url}/kv/first`, { method: 'PUT', body: 'x' }).catch(() => undefined))?.status === 200, 30_000);
  // The disk loses the WAL directory: the next segment cannot be created, a fatal WAL error.
  rmSync(join(path, 'wal'), { recursive: true, force: true });
  for (let i = 0; i < 200; i++) {
    const r = await http(`${url}/kv/k${i}`, { method: 'PUT', body: 'v'.repeat(64) }).catch(() => undefined);
    if (r === undefined) break; // the port closed
  }
  const r = await exited;
  assert.is(r.code, 1, `exit code (null: still running when the test gave up)\n${r.stderr}`);
  assert.match(r.stderr, /^raft-node: fatal: write-ahead log I\/O failed \(ENOENT.*: exiting/m);
});

test.run();
