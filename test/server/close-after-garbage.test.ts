// README, "The HTTP API": requests pipelined on one connection are answered in order; bytes that
// do not parse after them close the connection once those answers are sent. The server must
// close it (a client reading to end of stream, such as `nc`, waits for that; a socket left open
// holds a file descriptor and a place under maxConnections). Bytes that do not parse on a
// keep-alive connection whose earlier requests were all answered get a 400 with a JSON error, then
// the close too (not silence on an open socket).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawConnection, rawExchangeClosing, waitUntil, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

const statuses = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]!);

test('one PUT then bytes that do not parse: the PUT is answered 200, then the server closes the connection', async () => {
  const { text, closed } = await rawExchangeClosing(leader.url, 'PUT /kv/g1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'GARBAGE\x00\r\n\r\n', 4000);
  assert.equal(statuses(text), ['200'], JSON.stringify(text));
  assert.ok(closed, `the connection was still open 4 s after the answer: ${JSON.stringify(text)}`);
  assert.is((await raw(leader.url, 'GET', '/kv/g1')).text, '1');
});

test('two PUTs then bytes that do not parse: both answered 200 in order, then the server closes the connection', async () => {
  const { text, closed } = await rawExchangeClosing(
    leader.url,
    'PUT /kv/g2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'PUT /kv/g3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n2' + 'GARBAGE\x00\r\n\r\n',
    4000,
  );
  assert.equal(statuses(text), ['200', '200'], JSON.stringify(text));
  assert.ok(closed, `the connection was still open 4 s after the answers: ${JSON.stringify(text)}`);
});

test('garbage after an answered request on a keep-alive connection gets 400 and the connection closes', async () => {
  const conn = rawConnection(leader.url);
  const socket = conn.socket;
  try {
    await conn.connected;
    socket.write('GET /kv/nothing?consistency=local HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil('the first request answered', () => (conn.text().includes('HTTP/1.1 404') && conn.text().endsWith('}') ? true : undefined), 3000);
    // Let node:http finish the first request on this connection before the next bytes.
    await new Promise((r) => setTimeout(r, 50));
    socket.write('GARBAGE\x00\r\n\r\n');
    await waitUntil('the connection to close', () => (conn.closed() ? true : undefined), 3000).catch(() => undefined);
    const text = conn.text();
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    assert.equal(statuses, ['404', '400'], `answers on the connection: ${JSON.stringify(text)}`);
    assert.match(text, /\r\n\r\n\{"error":"[^"]+"\}$/);
    assert.ok(conn.closed(), 'the server closed the connection after the 400');
  } finally {
    socket.destroy();
  }
});

test.run();
