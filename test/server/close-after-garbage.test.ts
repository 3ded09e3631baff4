// README, "The HTTP API": requests pipelined on one connection are answered in order; bytes that
// do not parse after them close the connection once those answers are sent. The server must
// close it (a client reading to end of stream, such as `nc`, waits for that; a socket left open
// holds a file descriptor and a place under maxConnections).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { KvCluster, raw, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

/** Writes `data` on a fresh connection; resolves with what was read and whether the server closed it within `waitMs`. */
function exchange(url: string, data: string, waitMs: number): Promise<{ text: string; closed: boolean }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(Number(u.port), u.hostname, () => socket.write(data));
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

const statuses = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]!);

test('one PUT then bytes that do not parse: the PUT is answered 200, then the server closes the connection', async () => {
  const { text, closed } = await exchange(leader.url, 'PUT /kv/g1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'GARBAGE\x00\r\n\r\n', 4000);
  assert.equal(statuses(text), ['200'], JSON.stringify(text));
  assert.ok(closed, `the connection was still open 4 s after the answer: ${JSON.stringify(text)}`);
  assert.is((await raw(leader.url, 'GET', '/kv/g1')).text, '1');
});

test('two PUTs then bytes that do not parse: both answered 200 in order, then the server closes the connection', async () => {
  const { text, closed } = await exchange(
    leader.url,
    'PUT /kv/g2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'PUT /kv/g3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n2' + 'GARBAGE\x00\r\n\r\n',
    4000,
  );
  assert.equal(statuses(text), ['200', '200'], JSON.stringify(text));
  assert.ok(closed, `the connection was still open 4 s after the answers: ${JSON.stringify(text)}`);
});

test.run();
