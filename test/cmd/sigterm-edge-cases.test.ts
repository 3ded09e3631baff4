// raft-node's SIGTERM handling (cmd/raft-node.ts, cmd/serve.ts, KvHttpServer.stop):
// "SIGTERM / SIGINT: stop accepting, finish in-flight requests, close the WAL, exit 0". A client
// that sent a request's headers but stalls in its body must not hold the process up: stop() used
// to wait for that request (node:http's requestTimeout, 300 s by default), longer than any
// supervisor waits (systemd's TimeoutStopSec is 90 s; then SIGKILL, and no clean stop at all).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/node-cluster.js';
import { RaftProcess, waitFor } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'tsraft-sigterm-'));

test.after(() => rmSync(root, { recursive: true, force: true }));

test('SIGTERM with a client stalled mid-body: the node still exits 0 within a few seconds', async () => {
  const peer = `127.0.0.1:${await freePort()}`;
  const node = new RaftProcess(peer, await freePort(), join(root, 'stalled'), [
    '--members', peer, '--heartbeat', '50ms', '--election-timeout', '500ms', '--request-timeout', '2s', '--log-level', 'warn',
  ]);
  node.start();
  let socket: Socket | undefined;
  try {
    await waitFor('the node to lead', async () => (await node.status())?.state === 'leader', 30_000);
    // Headers and 2 of the 10 body bytes, then nothing: a slow or stuck client.
    socket = connect(node.httpPort, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket!.once('connect', () => resolve()));
    socket.write('PUT /kv/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await new Promise((r) => setTimeout(r, 300));

    const child = node.child!;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 12_000))]);
    assert.is(code, 0, `exit status after SIGTERM (${Date.now() - sentAt} ms after it)\n${node.output}`);
  } finally {
    socket?.destroy();
    await node.kill();
  }
});

test('SIGTERM when stdout/stderr are a broken pipe (the reader died: npm start killed hard, `raft-node | logger` whose logger exited): still a clean stop, exit 0, lock released', async () => {
  const path = join(root, 'broken-pipe');
  const [port, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cmd/raft-node.ts'), '--host', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--path', path, '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    let out = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => (out += d).includes(' serving ') && resolve()));
    // The reader of both streams goes away.
    child.stdout!.destroy();
    child.stderr!.destroy();
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    // Today: writing "raft-node: SIGTERM: stopping" to the closed stderr raises an unhandled
    // EPIPE 'error' event, the process dies at once with status 1, and LOCK stays behind.
    const code = await exited;
    assert.is(code, 0, 'exit status after SIGTERM');
    assert.not.ok(existsSync(join(path, 'LOCK')), 'the data directory lock was released');
    assert.not.ok(existsSync(join(path, 'wal', 'LOCK')), 'the WAL lock was released');
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});

test.run();
