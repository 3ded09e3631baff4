// Found in a user trial of raft-node's HTTP API:
// - a web page of another site could change the cluster through the operator's browser: a
//   "simple" POST (text/plain, no preflight) applied a write, a compare-and-set, a member added.
//   Refused now with 403 when the browser says the request is cross-site (Sec-Fetch-Site, else
//   Origin against Host); clients that are not browsers, and safe methods, are unaffected.
//   Mutant: the crossSiteRefusal check dropped from KvHttpServer.handle.
// - a gzip body (Content-Encoding, or a transfer coding besides chunked) was stored still
//   compressed, with a 200: 415 / 501 now. Mutant: checkBodyCoding dropped.
// - a JSON body that is not valid UTF-8 was stored with U+FFFD in place of its bytes: 400 now.
// - CONNECT got no answer at all (the connection closed): a JSON 405 now.
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw, rawExchange, type Member } from '../support/kv-http-cluster.js';

let c: KvCluster;
let leader: Member;

test.before(async () => {
  c = await KvCluster.start(1);
  leader = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

const host = (): string => leader.http.address;
const get = (key: string) => raw(leader.url, 'GET', `/kv/${key}`);

test('a POST a browser marks cross-site (Sec-Fetch-Site) is refused 403 and changes nothing', async () => {
  const a = await raw(leader.url, 'POST', '/kv/csrf1/append', 'x', { 'Content-Type': 'text/plain', 'Sec-Fetch-Site': 'cross-site', Origin: 'http://elsewhere.example' });
  assert.is(a.status, 403, a.text);
  assert.match(JSON.parse(a.text).error, /another site/);
  assert.is((await get('csrf1')).status, 404, 'not applied');
  const same = await raw(leader.url, 'POST', '/kv/csrf1/append', 'x', { 'Sec-Fetch-Site': 'same-site' });
  assert.is(same.status, 403, 'same-site is another origin too (another port of the host)');
});

test('without Sec-Fetch-Site, an Origin other than the Host is refused: a compare-and-set and a member added', async () => {
  const cas = await raw(leader.url, 'POST', '/kv/csrf2/cas', JSON.stringify({ expect: null, value: 'v' }), { 'Content-Type': 'text/plain', Origin: 'http://127.0.0.1:1' });
  assert.is(cas.status, 403, cas.text);
  assert.match(JSON.parse(cas.text).error, /another origin \(http:\/\/127\.0\.0\.1:1\)/);
  assert.is((await get('csrf2')).status, 404);
  const members = await raw(leader.url, 'POST', '/members', JSON.stringify({ address: '127.0.0.1:1', nonVoting: true }), { Origin: 'null' });
  assert.is(members.status, 403, members.text);
  assert.is(leader.node.members().length, 1, 'no member added');
  const del = await raw(leader.url, 'PUT', '/kv/csrf3', 'v', { Origin: 'http://elsewhere.example' });
  assert.is(del.status, 403);
});

test('the node\'s own page, a typed-in request and clients that are not browsers go through; reads are never refused', async () => {
  assert.is((await raw(leader.url, 'PUT', '/kv/own1', 'v', { Origin: `http://${host()}` })).status, 200);
  assert.is((await raw(leader.url, 'PUT', '/kv/own2', 'v', { 'Sec-Fetch-Site': 'same-origin', Origin: `http://${host()}` })).status, 200);
  assert.is((await raw(leader.url, 'POST', '/snapshot', undefined, { 'Sec-Fetch-Site': 'none' })).status, 200);
  assert.is((await raw(leader.url, 'PUT', '/kv/own3', 'v')).status, 200);
  const read = await raw(leader.url, 'GET', '/kv/own1', undefined, { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://elsewhere.example' });
  assert.is(read.status, 200);
  assert.is((await raw(leader.url, 'GET', '/status', undefined, { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://elsewhere.example' })).status, 200);
});

test('a compressed body (Content-Encoding) is refused 415, not stored compressed; identity is accepted', async () => {
  const gz = await raw(leader.url, 'PUT', '/kv/gz', gzipSync('hello'), { 'Content-Encoding': 'gzip' });
  assert.is(gz.status, 415, gz.text);
  assert.match(JSON.parse(gz.text).error, /Content-Encoding "gzip" is not supported/);
  assert.is((await get('gz')).status, 404);
  assert.is((await raw(leader.url, 'PUT', '/kv/gz', 'hello', { 'Content-Encoding': 'identity' })).status, 200);
  assert.is((await get('gz')).text, 'hello');
});

test('a transfer coding besides chunked is refused 501 and the connection goes on serving', async () => {
  const body = gzipSync('hello');
  const text = await rawExchange(
    leader.url,
    `PUT /kv/te HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`,
  );
  assert.match(text, /^HTTP\/1\.1 501 /, text);
  assert.match(text, /Transfer-Encoding \\"gzip, chunked\\" is not supported/);
  assert.is((await get('te')).status, 404);
});

test('a JSON body that is not valid UTF-8 is refused 400, not stored with replacement characters', async () => {
  const bad = Buffer.concat([Buffer.from('{"expect":null,"value":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const a = await raw(leader.url, 'POST', '/kv/u8/cas', bad, { 'Content-Type': 'application/json' });
  assert.is(a.status, 400, a.text);
  assert.match(JSON.parse(a.text).error, /not valid UTF-8/);
  assert.is((await get('u8')).status, 404);
});

test('CONNECT is answered 405 with a JSON error, and counted', async () => {
  const text = await rawExchange(leader.url, `CONNECT ${host()} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
  assert.match(text, /^HTTP\/1\.1 405 /, JSON.stringify(text));
  assert.match(text, /"error":"method CONNECT is not supported/);
  assert.match(await leader.node.metrics(), /tsraft_http_requests_total\{route="unknown",code="405"\} [1-9]/);
});

test.run();
