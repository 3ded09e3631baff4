// `raft-node inspect` (cmd/inspect.ts) as an operator runs it: on the data directory of
// a node that is running, and piped into a reader that stops early (`| head`, `| less` then q).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/node-cluster.js';
import { RaftProcess, http, runRaftNode, waitFor } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'tsraft-inspect-live-'));
let node: RaftProcess | undefined;

test.before(async () => {
  const peer = `127.0.0.1:${await freePort()}`;
  node = new RaftProcess(peer, await freePort(), join(root, 'live'), ['--members', peer, '--heartbeat', '50ms', '--election-timeout', '500ms', '--log-level', 'warn']);
  node.start();
  await waitFor('the node to lead', async () => (await node!.status())?.state === 'leader', 30_000);
  for (let i = 0; i < 5; i++) assert.is((await http(`${node.url}/kv/k${i}`, { method: 'PUT', body: `v${i}` })).status, 200);
});

test.after(async () => {
  await node?.kill();
  rmSync(root, { recursive: true, force: true });
});

test('inspect on the directory of a running node says it is in use (and by which pid), instead of calling its lock "not a segment file"', async () => {
  const r = await runRaftNode(['inspect', node!.path], 30_000);
  assert.is(r.code, 0, r.stderr);
  // The WAL's lock file (wal/LOCK, held by the running node) is listed as a foreign file today:
  // "note: LOCK: not a segment file (ignored)". An operator reading a live directory should be
  // told the report is of a moving target (the tail may be mid-write), and who holds it.
  assert.not.match(r.stdout, 'LOCK: not a segment file', 'the lock file is not a stray file');
  assert.match(r.stdout, String(node!.child!.pid), `the report names the pid holding the directory:\n${r.stdout}`);
});

test('inspect piped into a reader that exits early: no "Unhandled \'error\' event" stack trace', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cmd/raft-node.ts'), 'inspect', node!.path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // The reader goes away before the report is written (`raft-node inspect DIR | head -1` on a
  // report longer than the pipe buffer does the same).
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.not.match(stderr, /Unhandled 'error' event|^\s+at /m, `a stack trace on stderr:\n${stderr}`);
  assert.is(code, 0, `exit status (the report was produced; its reader left)\n${stderr}`);
});

test.run();
