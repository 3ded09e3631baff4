// README / KvHttpServer.stop(): once the server is stopping, in-flight requests finish and new
// requests on open connections get 503 "shutting down" with outcome "not applied". A write
// pipelined behind an in-flight one must therefore not be proposed: its connection is closed
// at the end of the stop, so an applied write would lose its answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { KvCluster, raw, waitUntil } from '../support/kv-http-cluster.js';

test('a DELETE pipelined behind a write in flight when stop() begins is not applied', async () => {
  const c = await KvCluster.start(2);
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/keep', 'v')).status, 200);
    await waitUntil('the follower to apply it', () => (f.node.context.get('keep') ? true : undefined), 3000);
    // The follower's acknowledgements are lost: the leader cannot commit the next write yet.
    c.network.cut(f.address, l.address);
    const u = new URL(l.url);
    let text = '';
    const socket = connect(Number(u.port), u.hostname);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    try {
      socket.write('PUT /kv/first HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'DELETE /kv/keep HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitUntil('the PUT to be proposed', () => (l.node.status().lastIndex > l.node.status().commitIndex ? true : undefined), 3000);
      const stopped = l.http.stop();
      // Let the PUT commit (well within an election timeout: the leader keeps leading).
      c.network.heal();
      await stopped;
      await waitUntil('the PUT to be applied on both', () => (f.node.context.get('first') ? true : undefined), 3000);
      // Anything proposed would have committed by now (a heartbeat is 20 ms).
      await new Promise((r) => setTimeout(r, 300));
      assert.is(l.node.context.get('keep')?.toString(), 'v', `the pipelined DELETE was applied during the stop; the connection read ${JSON.stringify(text)}`);
      assert.is(f.node.context.get('keep')?.toString(), 'v');
    } finally {
      socket.destroy();
    }
  } finally {
    await c.close();
  }
});

test.run();
