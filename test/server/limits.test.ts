// README, "The HTTP API": a value (body) up to --max-value-bytes is accepted and one byte more
// is 413, whether the body comes with Content-Length or chunked, and so is a CAS value; a key up to 4096 bytes (UTF-8,
// after URL decoding) is accepted and a longer one is 400, escaped or not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawExchange, type Member } from '../support/kv-http-cluster.js';

const LIMIT = 16;
let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1, {}, LIMIT);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);

test('PUT with Content-Length: exactly the limit is 200, one byte more is 413 and not applied', async () => {
  assert.is((await raw(leader.url, 'PUT', '/kv/cl', 'a'.repeat(LIMIT))).status, 200);
  const over = await raw(leader.url, 'PUT', '/kv/cl', 'b'.repeat(LIMIT + 1));
  assert.is(over.status, 413, over.text);
  assert.is((await raw(leader.url, 'GET', '/kv/cl')).text, 'a'.repeat(LIMIT));
});

test('PUT chunked: exactly the limit is 200, one byte more is 413 and not applied', async () => {
  const chunked = (body: string): string => `PUT /kv/ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  const fits = await rawExchange(leader.url, chunked('a'.repeat(LIMIT)));
  assert.is(statusOf(fits), 200, fits);
  const over = await rawExchange(leader.url, chunked('b'.repeat(LIMIT + 1)));
  assert.is(statusOf(over), 413, over);
  assert.is((await raw(leader.url, 'GET', '/kv/ch')).text, 'a'.repeat(LIMIT));
});

test('CAS: a value of exactly the limit is 200, one byte more is 413 "not applied" and the value stays', async () => {
  const cas = (expect: string | null, value: string) => raw(leader.url, 'POST', '/kv/cas/cas', JSON.stringify({ expect, value }));
  assert.is((await cas(null, 'a'.repeat(LIMIT))).status, 200);
  const over = await cas('a'.repeat(LIMIT), 'b'.repeat(LIMIT + 1));
  assert.is(over.status, 413, over.text);
  assert.is((JSON.parse(over.text) as { outcome: string }).outcome, 'not applied');
  assert.is((await raw(leader.url, 'GET', '/kv/cas')).text, 'a'.repeat(LIMIT));
});

test('keys: 4096 bytes are accepted, 4097 are 400, plain or percent-encoded', async () => {
  const plain = 'k'.repeat(4096);
  assert.is((await raw(leader.url, 'PUT', `/kv/${plain}`, 'v')).status, 200, 'a plain 4096-byte key');
  const plainOver = await raw(leader.url, 'PUT', `/kv/${plain}k`, 'v');
  assert.is(plainOver.status, 400, `a plain 4097-byte key: ${plainOver.text}`);
  // %C3%A9 is "é", two bytes: 2 + 4094 = 4096 bytes once decoded.
  const escaped = '%C3%A9' + 'e'.repeat(4094);
  const ok = await raw(leader.url, 'PUT', `/kv/${escaped}`, 'v');
  assert.is(ok.status, 200, `an escaped key of 4096 bytes: ${ok.text}`);
  assert.is((await raw(leader.url, 'GET', `/kv/${encodeURIComponent('é' + 'e'.repeat(4094))}`)).text, 'v');
  const escapedOver = await raw(leader.url, 'PUT', `/kv/${escaped}e`, 'v');
  assert.is(escapedOver.status, 400, `an escaped key of 4097 bytes: ${escapedOver.text}`);
});

test.run();
