// Operator workflows done as the README and the node's own messages say, where the answer misled
// (found on an operator's run, 12-07; the lost-data advice once removed is in wiped-voter-rejoin):
// 1. A member restarted with another --members list logs it as ignored, and must not dial the
//    ignored addresses (they were pinned as peers at construction and dialed for as long as it ran).
// 2. --host defaults to localhost; founding with --members naming this node as 127.0.0.1:PORT was
//    refused with "use --join"; the hint now names --host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessCluster, runRaftNode, waitFor } from '../support/processes.js';
import { freePort } from '../support/node-cluster.js';

test('a restart with another --members list ignores it, and does not dial the ignored addresses', async () => {
  const c = await ProcessCluster.start(1);
  let connections = 0;
  const listener = createServer((s: Socket) => {
    connections++;
    s.destroy();
  });
  try {
    const node = c.nodes[0]!;
    await c.waitLeader();
    await node.signal('SIGTERM');
    const strayPort = await freePort();
    await new Promise<void>((resolve) => listener.listen(strayPort, '127.0.0.1', resolve));
    node.output = '';
    node.start(['--members', `${node.peerAddress};127.0.0.1:${strayPort}`]);
    await waitFor('the node to lead again', async () => (await node.status())?.state === 'leader', 20_000);
    assert.match(node.output, /ignored: the data directory already holds the cluster's configuration/);
    await new Promise((r) => setTimeout(r, 3000));
    assert.is(connections, 0, `the ignored member 127.0.0.1:${strayPort} was dialed ${connections} times:\n${node.output}`);
  } catch (err) {
    console.error(c.logs());
    throw err;
  } finally {
    listener.close();
    await c.close();
  }
});

test('founding with the default --host localhost and --members naming 127.0.0.1:PORT is refused with a hint naming --host', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-operator-journey-'));
  try {
    const port = await freePort();
    const httpPort = await freePort();
    const r = await runRaftNode(['--port', String(port), '--http-port', String(httpPort), '--path', join(dir, 'd'), '--members', `127.0.0.1:${port};127.0.0.1:${port + 1}`]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`if 127\\.0\\.0\\.1:${port} is this node, give --host 127\\.0\\.0\\.1`), `the hint names --host first:\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
