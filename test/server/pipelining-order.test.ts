// HTTP/1.1 pipelining against raft-node's HTTP API (README, "The HTTP API"): requests pipelined on
// one connection are answered in order, so they must also take effect in order, and a write that
// was applied must get its answer even when bytes that do not parse follow it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawConnection, rawExchange, waitUntil, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

const pipelined = rawExchange;

const statuses = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]!);
const indexes = (text: string): number[] => [...text.matchAll(/\{"index":(\d+)\}/g)].map((m) => Number(m[1]));

test('a PUT then a DELETE of the same key pipelined on one connection: the DELETE takes effect after the PUT', async () => {
  const text = await pipelined(
    leader.url,
    'PUT /kv/piped HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'DELETE /kv/piped HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  assert.equal(statuses(text), ['200', '200'], text);
  const [putIndex, deleteIndex] = indexes(text) as [number, number];
  const after = await raw(leader.url, 'GET', '/kv/piped');
  assert.ok(
    deleteIndex > putIndex && after.status === 404,
    `the PUT was answered first with index ${putIndex}, the DELETE second with index ${deleteIndex}; the key now answers ${after.status} ${after.text}`,
  );
});

test('two PUTs pipelined, then bytes that do not parse: both applied PUTs are answered before the connection closes', async () => {
  const text = await pipelined(
    leader.url,
    'PUT /kv/first HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n1' + 'PUT /kv/second HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n2' + 'GARBAGE\x00\r\n\r\n',
  );
  const second = await raw(leader.url, 'GET', '/kv/second?consistency=local');
  assert.is(second.status, 200, 'the second PUT was applied');
  assert.equal(statuses(text).slice(0, 2), ['200', '200'], `the second PUT was applied, but the connection closed after answering ${JSON.stringify(statuses(text))}: ${JSON.stringify(text)}`);
});

test('a stop while a pipelined request behind another still waits for its body answers the first and does not wait for the rest', async () => {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const conn = rawConnection(m.url);
    const socket = conn.socket;
    // A read that answers at once, then a PUT whose body never all arrives.
    socket.write('GET /kv/k?consistency=local HTTP/1.1\r\nHost: x\r\n\r\nPUT /kv/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await waitUntil('the read answered', () => conn.text().includes('HTTP/1.1 404'), 3000);
    const started = Date.now();
    const stopped = await Promise.race([m.http.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 5000))]);
    assert.is(stopped, 'stopped', `KvHttpServer.stop() ${stopped} after ${Date.now() - started} ms`);
    assert.is((await raw(m.url, 'GET', '/kv/stalled?consistency=local').catch(() => ({ status: 0 }))).status, 0, 'the server no longer listens');
    socket.destroy();
  } finally {
    await c.close();
  }
});

test.run();
