// Request-line and header edge cases of raft-node's HTTP API that real clients produce: a request
// target in absolute form (RFC 9112 §3.2.2: "A server MUST accept the absolute-form in
// requests"), and an HTTP/1.1 request without Host, whose 400 must still be JSON (README, "The
// HTTP API": "Errors are JSON {"error": "..."}").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawExchange, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
  assert.is((await raw(leader.url, 'PUT', '/kv/k', 'value')).status, 200);
});
test.after(async () => {
  await c.close();
});

/** Sends `data` to the leader on a fresh connection (see rawExchange). */
const send = (data: string, waitMs = 2000): Promise<string> => rawExchange(leader.url, data, waitMs);

const bodyOf = (text: string): string => text.slice(text.indexOf('\r\n\r\n') + 4);

test('GET with an absolute-form request target (http://host:port/kv/k) reads the key', async () => {
  const host = leader.http.address;
  const text = await send(`GET http://${host}/kv/k HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  assert.match(text, /^HTTP\/1\.1 200 /, text);
  assert.is(bodyOf(text), 'value');
});

test('an HTTP/1.1 request without Host is answered 400 with a JSON {"error": ...} body', async () => {
  const text = await send('GET /kv/k HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(text, /^HTTP\/1\.1 400 /, text);
  assert.match(text, /\r\ncontent-type: application\/json/i, `no JSON content type: ${JSON.stringify(text)}`);
  let error: unknown;
  try {
    error = (JSON.parse(bodyOf(text)) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  assert.type(error, 'string', `body is not {"error": "..."}: ${JSON.stringify(text)}`);
});

test.run();
