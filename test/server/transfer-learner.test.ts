// README, "The HTTP API": POST /leader/transfer names a voting member; a non-voting member (a
// learner) is refused with 400 before anything is asked of the cluster, and the leader stays.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { KvStore, installKv } from '../../src/kv/index.js';
import { KvHttpServer } from '../../src/server/http.js';
import { freePort } from '../support/ports.js';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';

test('a transfer to a non-voting member is 400 "is not a voting member" and the leader keeps leading', async () => {
  const c = await KvCluster.start(3, { members: 'n1:9101;n2:9102;n3:9103,true' });
  try {
    const leader = await c.waitLeader();
    const learner = c.members.get('n3:9103')!;
    assert.ok(learner.node.members().find((m) => m.address === learner.address)?.nonVoting, 'n3 is non-voting');
    const r = await raw(leader.url, 'POST', '/leader/transfer', JSON.stringify({ address: learner.address }), { 'Content-Type': 'application/json' });
    assert.is(r.status, 400, r.text);
    assert.equal(JSON.parse(r.text), { error: `${learner.address} is not a voting member` });
    assert.ok(leader.node.isLeader(), 'the leader still leads');
  } finally {
    await c.close();
  }
});

test('a transfer to another name for a member says which member it is (the library does; the HTTP check did not)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-transfer-alias-'));
  const port = await freePort();
  const node = await Node.create<KvStore>({ host: '127.0.0.1', port, dataDir: root, context: new KvStore(), sync: 'none', logLevel: 'error' });
  installKv(node);
  const http = new KvHttpServer(node, { host: '127.0.0.1', port: 0 });
  try {
    await http.start();
    await node.start();
    await waitUntil('it leads', () => (node.isLeader() ? true : undefined), 5000);
    const r = await raw(`http://${http.address}`, 'POST', '/leader/transfer', JSON.stringify({ address: `localhost:${port}` }), { 'Content-Type': 'application/json' });
    assert.is(r.status, 400, r.text);
    assert.equal(JSON.parse(r.text), {
      error: `localhost:${port} is not a voting member; localhost:${port} and 127.0.0.1:${port} name the same endpoint (127.0.0.1:${port}): the member is known as 127.0.0.1:${port}`,
    });
  } finally {
    await http.stop();
    await node.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
