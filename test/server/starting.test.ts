// what raft-node answers between binding its HTTP port and the end of node.start()
// (cmd/serve.ts binds HTTP first, then recovers snapshot and WAL, which takes as long as the
// state is large). README: 503 "shutting down" is for a node that is stopping; a write's 5xx
// says "not applied" when it certainly was not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Node } from '../../src/node.js';
import { KvStore, installKv } from '../../src/kv/index.js';
import { KvHttpServer } from '../../src/server/http.js';
import { freePort } from '../support/ports.js';
import { raw } from '../support/kv-http-cluster.js';

/** A node and its HTTP API in the state startServer leaves them in while node.start() runs. */
async function starting(): Promise<{ url: string; node: Node<KvStore>; finish(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-starting-'));
  const node = await Node.create<KvStore>({ host: '127.0.0.1', port: await freePort(), dataDir: root, context: new KvStore(), sync: 'none', logLevel: 'error' });
  installKv(node);
  const http = new KvHttpServer(node, { host: '127.0.0.1', port: 0 });
  await http.start();
  node.setNodeMeta(http.address);
  return {
    url: `http://${http.address}`,
    node,
    async finish() {
      try {
        if (node.lifecycle === 'new') await node.start();
        await http.stop();
        await node.stop();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}


test('a write sent while raft-node is still starting is answered outcome "not applied", not "shutting down" with outcome unknown', async () => {
  const s = await starting();
  try {
    const r = await raw(s.url, 'PUT', '/kv/a', 'x');
    const body = JSON.parse(r.text) as { error: string; outcome: string };
    assert.is(r.status, 503, r.text);
    assert.is.not(body.error, 'shutting down', r.text);
    assert.is(body.outcome, 'not applied', r.text);
  } finally {
    await s.finish();
  }
});

test('GET /status while raft-node is still starting does not answer "shutting down"', async () => {
  const s = await starting();
  try {
    const r = await raw(s.url, 'GET', '/status');
    assert.is.not(JSON.parse(r.text).error, 'shutting down', `${r.status} ${r.text}`);
    // Another member's dashboard reads it across origins: without the header its fetch failed
    // ("Failed to fetch") instead of showing the status (found in review).
    assert.is(r.headers['access-control-allow-origin'], '*', `${r.status}: the answer allows any origin`);
  } finally {
    await s.finish();
  }
});

test('README: while raft-node starts, a write, a local read and GET /status are 503 {"error": "starting", "outcome": "not applied"} with Retry-After', async () => {
  const s = await starting();
  try {
    // A local read too: the store is still being rebuilt, and a key it holds answered 404 (a README check).
    for (const [method, path, body] of [['PUT', '/kv/a', 'x'], ['GET', '/status', undefined], ['GET', '/kv/a?consistency=local', undefined]] as const) {
      const r = await raw(s.url, method, path, body);
      assert.is(r.status, 503, `${method} ${path}: ${r.text}`);
      assert.equal(JSON.parse(r.text), { error: 'starting', outcome: 'not applied' }, `${method} ${path}`);
      assert.ok(Number(r.headers['retry-after']) >= 1, `${method} ${path}: Retry-After ${String(r.headers['retry-after'])}`);
    }
  } finally {
    await s.finish();
  }
});

test('a local read on a node that stopped itself is 503 "shutting down", not "starting" (it is not starting)', async () => {
  const s = await starting();
  try {
    await s.node.start();
    (s.node as unknown as { failStorage: (err: Error) => void }).failStorage(new Error('the disk went away'));
    const r = await raw(s.url, 'GET', '/kv/a?consistency=local');
    assert.is(r.status, 503, r.text);
    assert.is(JSON.parse(r.text).error, 'shutting down', r.text);
  } finally {
    await s.finish();
  }
});

test.run();
