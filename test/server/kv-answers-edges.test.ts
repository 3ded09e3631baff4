// From a mutation review of the key-value HTTP API (src/server/http.ts, routes.ts): what a client
// sees for an empty key, and other answers the existing tests left unpinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, waitUntil, type Member } from '../support/kv-http-cluster.js';

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

test('an empty key segment is a 400 "empty key" on every /kv route, and nothing is stored under ""', async () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['PUT', '/kv/', 'v'],
    ['GET', '/kv/', undefined],
    ['DELETE', '/kv/', undefined],
    ['POST', '/kv//append', 'v'],
    ['POST', '/kv//cas', JSON.stringify({ expect: null, value: 'v' })],
  ];
  for (const [method, path, body] of cases) {
    const r = await raw(leader.url, method, path, body);
    assert.is(r.status, 400, `${method} ${path}: ${r.text}`);
    assert.equal(JSON.parse(r.text), { error: 'empty key' }, `${method} ${path}`);
  }
  assert.is(leader.node.context.size, 0, 'no key was written');
  assert.is(leader.node.context.get(''), undefined);
});

test('GET of a value answers Content-Type application/octet-stream, with the value\'s byte length', async () => {
  assert.is((await raw(leader.url, 'PUT', '/kv/typed', '{"a":1}')).status, 200);
  const r = await raw(leader.url, 'GET', '/kv/typed');
  assert.is(r.status, 200);
  assert.is(r.headers['content-type'], 'application/octet-stream', 'a stored value is bytes, whatever it looks like');
  assert.is(r.headers['content-length'], '7');
  assert.is(r.text, '{"a":1}');
});

test('CAS 409: "current" is null for an absent key and "" for a key holding an empty value', async () => {
  const cas = (key: string, expect: string | null, value: string) => raw(leader.url, 'POST', `/kv/${key}/cas`, JSON.stringify({ expect, value }));
  const absent = await cas('cas-absent', 'x', 'y');
  assert.is(absent.status, 409, absent.text);
  assert.is(JSON.parse(absent.text).current, null, 'absent: null');
  assert.is((await raw(leader.url, 'PUT', '/kv/cas-empty', '')).status, 200);
  const empty = await cas('cas-empty', 'x', 'y');
  assert.is(empty.status, 409, empty.text);
  assert.is(JSON.parse(empty.text).current, '', 'present but empty: ""');
  // And a null expect fails on the empty value (it exists), with current "".
  const create = await cas('cas-empty', null, 'y');
  assert.is(create.status, 409, create.text);
  assert.is(JSON.parse(create.text).current, '');
  assert.is((await raw(leader.url, 'GET', '/kv/cas-empty')).text, '', 'unchanged');
});

test('a JSON answer with non-ASCII text has a Content-Length in bytes: a 409 "current" of "é€😀" arrives whole', async () => {
  const value = 'é€😀';
  assert.is((await raw(leader.url, 'PUT', '/kv/utf8', value)).status, 200);
  const r = await raw(leader.url, 'POST', '/kv/utf8/cas', JSON.stringify({ expect: 'other', value: 'x' }));
  assert.is(r.status, 409, r.text);
  assert.is(Number(r.headers['content-length']), r.body.length, 'Content-Length counts bytes');
  const body = JSON.parse(r.text) as { error: string; current: string; index: number };
  assert.is(body.current, value);
  assert.is(body.error, 'compare failed');
  assert.type(body.index, 'number');
});

test('a linearizable read still waiting when its node stops answers 503 "shutting down" with Retry-After', async () => {
  const c3 = await KvCluster.start(3, { requestTimeoutMs: 8000, leaderWaitMs: 8000 });
  try {
    const l = await c3.waitLeader();
    const f = [...c3.members.values()].find((m) => m !== l)!;
    assert.is((await raw(l.url, 'PUT', '/kv/k', 'v')).status, 200);
    await waitUntil('the follower to apply the write', () => (f.node.context.get('k') ? true : undefined), 3000);
    c3.network.isolate(f.address);
    const pending = raw(f.url, 'GET', '/kv/k?consistency=index');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await f.node.stop();
    const r = await pending;
    assert.is(r.status, 503, r.text);
    assert.is(JSON.parse(r.text).error, 'shutting down');
    assert.is(r.headers['retry-after'], '1', 'a client is told when to retry (at another member)');
  } finally {
    await c3.close();
  }
});

test.run();
