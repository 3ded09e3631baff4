// Bytes that do not parse arriving on a keep-alive connection whose earlier requests were all
// answered: the server answers 400 with a JSON error and closes the connection, as it does for
// garbage on a fresh connection (not silence on an open socket).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { KvCluster, waitUntil, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

test('garbage after an answered request on a keep-alive connection gets 400 and the connection closes', async () => {
  const u = new URL(leader.url);
  let text = '';
  let closed = false;
  const socket = connect(Number(u.port), u.hostname);
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /kv/nothing?consistency=local HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil('the first request answered', () => (text.includes('HTTP/1.1 404') && text.endsWith('}') ? true : undefined), 3000);
    // Let node:http finish the first request on this connection before the next bytes.
    await new Promise((r) => setTimeout(r, 50));
    socket.write('GARBAGE\x00\r\n\r\n');
    await waitUntil('the connection to close', () => (closed ? true : undefined), 3000).catch(() => undefined);
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    assert.equal(statuses, ['404', '400'], `answers on the connection: ${JSON.stringify(text)}`);
    assert.match(text, /\r\n\r\n\{"error":"[^"]+"\}$/);
    assert.ok(closed, 'the server closed the connection after the 400');
  } finally {
    socket.destroy();
  }
});

test.run();
