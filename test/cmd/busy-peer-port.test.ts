// A peer or HTTP port in use fails raft-node before it writes its data directory (exit 1, naming the port
// and its flag).
// Found on an operator's run: the node founded a cluster in its directory first and failed only
// when its transport bound the port, so a first attempt with a wrong --members kept it for good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRaftNode } from '../support/processes.js';
import { freePort } from '../support/ports.js';

test('a busy peer port: exit 1 naming it, and no data directory made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-busy-peer-port-'));
  const holder = createServer();
  try {
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    const path = join(dir, 'd');
    const r = await runRaftNode(['--host', '127.0.0.1', '--port', String(port), '--http-port', String(await freePort()), '--path', path]);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`--port: cannot listen on 127\\.0\\.0\\.1:${port} for peers \\(EADDRINUSE\\)`));
    assert.not.ok(existsSync(path), 'the data directory was made');
  } finally {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a busy HTTP port: exit 1 naming --http-port, and no data directory made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-busy-http-port-'));
  const holder = createServer();
  try {
    const httpPort = await freePort();
    await new Promise<void>((resolve) => holder.listen(httpPort, '127.0.0.1', resolve));
    const path = join(dir, 'd');
    const r = await runRaftNode(['--host', '127.0.0.1', '--port', String(await freePort()), '--http-port', String(httpPort), '--path', path]);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^raft-node: cannot start: --http-port: cannot listen on 127\\.0\\.0\\.1:${httpPort} for HTTP clients \\(EADDRINUSE\\)`));
    assert.not.ok(existsSync(path), 'the data directory was made');
  } finally {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
