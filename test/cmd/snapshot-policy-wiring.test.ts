// --snapshot-policy reaches the node (serve-wiring.test.ts checked only that `second` snapshots, which
// passed with cmd/serve.ts setting EverySecond whatever the flag said; a test audit). Both halves: the default (DefaultSync,
// Redis' rules: 900 s after one change at the soonest) and `never` take no snapshot two seconds
// after a write, while `second` does within the same wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { startServer } from '../../cmd/serve.js';
import { freePort } from '../support/ports.js';
import { http, waitFor } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-policy-wiring-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function config(args: string[]): ServerConfig {
  const c = parseFlags(['--host', '127.0.0.1', '--heartbeat', '50ms', '--election-timeout', '500ms', '--log-level', 'error', '--sync', 'none', ...args]);
  if (c === 'help') throw new Error('help');
  return c;
}

/** Starts a one-member raft-node with `args`, writes once, and returns /status snapshotIndex 2.5 s later. */
async function snapshotIndexAfterWrite(name: string, args: string[]): Promise<number> {
  const port = await freePort();
  const s = await startServer(config(['--port', String(port), '--http-port', String(await freePort()), '--path', join(root, name), '--members', `127.0.0.1:${port}`, ...args]));
  try {
    await waitFor('the node to lead', () => s.node.state === 'leader', 20_000);
    const url = `http://${s.http.address}`;
    assert.is((await http(`${url}/kv/k`, { method: 'PUT', body: 'v' })).status, 200);
    await new Promise((r) => setTimeout(r, 2500));
    return (await http(`${url}/status`)).json<{ snapshotIndex: number }>().snapshotIndex;
  } finally {
    await s.stop();
  }
}

test('--snapshot-policy: second snapshots within 2.5 s of a write; the default and never take none that soon', async () => {
  assert.ok((await snapshotIndexAfterWrite('second', ['--snapshot-policy', 'second'])) > 0, 'second: a snapshot within 2.5 s');
  assert.is(await snapshotIndexAfterWrite('default', []), 0, 'the default policy (DefaultSync) took a snapshot within 2.5 s of one write');
  assert.is(await snapshotIndexAfterWrite('never', ['--snapshot-policy', 'never']), 0, '--snapshot-policy never took a snapshot');
});

test.run();
