// KvHttpServer.send(): after a 413 refused a body before it was read, the rest of the body is read
// and discarded so the answer is not lost to a reset, but a client still sending after a second
// is cut off: a client streaming a body forever must not hold its connection forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawConnection, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1, {}, 16);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

test('a client that goes on sending a body refused with 413 gets the 413 and is cut off, not held open', async () => {
  const conn = rawConnection(leader.url);
  const socket = conn.socket;
  const chunk = 'y'.repeat(1024);
  let timer: NodeJS.Timeout | undefined;
  try {
    await conn.connected;
    socket.write(`PUT /kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n${chunk}`);
    // 20 KiB/s, far from the 100 MiB announced: still sending long after the answer.
    timer = setInterval(() => {
      if (!conn.closed() && socket.writable) socket.write(chunk);
    }, 50);
    const deadline = Date.now() + 5000;
    while (!conn.closed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(conn.text(), /^HTTP\/1\.1 413 /, JSON.stringify(conn.text().slice(0, 200)));
    assert.ok(conn.closed(), 'the connection of a client still sending 5 s after its 413 is still open');
    assert.is((await raw(leader.url, 'GET', '/kv/big?consistency=local')).status, 404, 'nothing was written');
  } finally {
    clearInterval(timer);
    socket.destroy();
  }
});

test.run();
