// The HTTP API's contract against a real raft-node (README, "The HTTP API"): appends never grow a
// value past --max-value-bytes, clients that half-close after their request still get their
// answer (and the socket is closed after it), HEAD answers like GET without the body, and
// compare-and-set's 409 carries the log index and takes binary values as base64.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { halfClosedRequest } from '../support/half-closed.js';
import { ProcessCluster, http } from '../support/processes.js';

const MiB = 1024 * 1024;
let c: ProcessCluster;
/** The leader's URL, and a follower's (its reads and writes wait for a round trip to the leader). */
let url: string;
let followerUrl: string;

test.before(async () => {
  // The default --max-value-bytes: 1 MiB.
  c = await ProcessCluster.start(3);
  const leader = await c.waitLeader();
  url = leader.url;
  followerUrl = c.nodes.find((n) => n !== leader)!.url;
});
test.after(async () => {
  await c.close();
});

/** {@link halfClosedRequest} to `to` (this file's single node by default). */
const halfClosed = (request: string, to = url): ReturnType<typeof halfClosedRequest> => halfClosedRequest(to, request);

test('append: 1 MiB plus one byte is refused with 413 and the value stays 1 MiB; appends up to exactly the limit succeed', async () => {
  assert.is((await http(`${url}/kv/big`, { method: 'PUT', body: Buffer.alloc(MiB, 0x61) })).status, 200);
  const over = await http(`${url}/kv/big/append`, { method: 'POST', body: 'x' });
  assert.is(over.status, 413, over.text);
  const body = over.json<{ error: string; index: number }>();
  assert.is(body.error, `appending 1 bytes to the value of ${MiB} bytes would exceed the limit of ${MiB} bytes; the value is unchanged`);
  assert.type(body.index, 'number');
  const more = await http(`${url}/kv/big/append`, { method: 'POST', body: Buffer.alloc(MiB, 0x62) });
  assert.is(more.status, 413, more.text);
  const value = await http(`${url}/kv/big`);
  assert.is(value.status, 200);
  assert.is(value.text.length, MiB);
  assert.is(value.text, 'a'.repeat(MiB));

  assert.is((await http(`${url}/kv/edge`, { method: 'PUT', body: Buffer.alloc(MiB - 1, 0x61) })).status, 200);
  const fits = await http(`${url}/kv/edge/append`, { method: 'POST', body: 'x' });
  assert.is(fits.status, 200, fits.text);
  assert.is((await http(`${url}/kv/edge/append`, { method: 'POST', body: '' })).status, 200, 'an empty append at the limit');
  const edge = await http(`${url}/kv/edge`);
  assert.is(edge.text.length, MiB);
  assert.ok(edge.text.endsWith('ax'));
  // A missing key counts as empty: a first append of the full limit fits.
  assert.is((await http(`${url}/kv/fresh/append`, { method: 'POST', body: Buffer.alloc(MiB, 0x63) })).status, 200);
});

test('a client that half-closes after its write gets the answer, and the socket is closed after it', async () => {
  for (const [to, key] of [[url, 'hc'], [followerUrl, 'hc-follower']] as const) {
    const { response, closedAfterMs } = await halfClosed(`PUT /kv/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`, to);
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/, to);
    assert.match(response, /\r\n\r\n\{"index":\d+\}$/);
    assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs} ms, not kept alive`);
    assert.is((await http(`${url}/kv/${key}`)).text, 'abc');
  }
});

test('a client that half-closes after a consistency=index read on a follower gets the value', async () => {
  assert.is((await http(`${url}/kv/hr`, { method: 'PUT', body: 'read me' })).status, 200);
  const { response, closedAfterMs } = await halfClosed('GET /kv/hr?consistency=index HTTP/1.1\r\nHost: x\r\n\r\n', followerUrl);
  assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(response, /\r\n\r\nread me$/);
  assert.ok(closedAfterMs < 5000, `closed after ${closedAfterMs} ms`);
});

test('a half-closed connection with no request, or after a partial request, is closed at once', async () => {
  const idle = await halfClosed('');
  assert.is(idle.response, '');
  assert.ok(idle.closedAfterMs < 5000, `closed after ${idle.closedAfterMs} ms`);
  const partial = await halfClosed('PUT /kv/partial HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
  assert.ok(partial.closedAfterMs < 5000, `closed after ${partial.closedAfterMs} ms`);
  assert.is((await http(`${url}/kv/partial`)).status, 404, 'an incomplete body is never applied');
});

test('HEAD answers a GET route with its status and headers, without the body', async () => {
  assert.is((await http(`${url}/kv/head`, { method: 'PUT', body: 'twelve bytes' })).status, 200);
  const found = await http(`${url}/kv/head`, { method: 'HEAD' });
  assert.is(found.status, 200);
  assert.is(found.text, '');
  assert.is(found.headers.get('content-length'), '12');
  assert.is((await http(`${url}/kv/head-missing`, { method: 'HEAD' })).status, 404);
  assert.is((await http(`${url}/status`, { method: 'HEAD' })).status, 200);
  const wrong = await http(`${url}/kv/head`, { method: 'POST' });
  assert.is(wrong.status, 405);
  assert.is(wrong.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
  assert.is((await http(`${url}/snapshot`, { method: 'HEAD' })).headers.get('allow'), 'POST');
});

test('CAS: a failed compare answers 409 with the current value and the log index that decided it', async () => {
  assert.is((await http(`${url}/kv/c`, { method: 'PUT', body: 'one' })).status, 200);
  const r = await http(`${url}/kv/c/cas`, { method: 'POST', body: JSON.stringify({ expect: 'zero', value: 'two' }) });
  assert.is(r.status, 409);
  const body = r.json<{ error: string; current: string; index: number }>();
  assert.is(body.error, 'compare failed');
  assert.is(body.current, 'one');
  assert.ok(Number.isInteger(body.index) && body.index > 0, JSON.stringify(body));
});

test('CAS with "encoding": "base64" compares and sets binary values; the 409 current is base64 too', async () => {
  const binary = Buffer.from([0xff, 0x00, 0x80, 0xc3]);
  assert.is((await http(`${url}/kv/bin`, { method: 'PUT', body: binary })).status, 200);
  // As UTF-8 text these bytes cannot be expected: the mismatch's current is lossy (U+FFFD).
  const text = await http(`${url}/kv/bin/cas`, { method: 'POST', body: JSON.stringify({ expect: binary.toString('latin1'), value: 'x' }) });
  assert.is(text.status, 409);
  const cas = (body: Record<string, unknown>) => http(`${url}/kv/bin/cas`, { method: 'POST', body: JSON.stringify({ encoding: 'base64', ...body }) });
  const wrong = await cas({ expect: Buffer.from([1]).toString('base64'), value: 'AA==' });
  assert.is(wrong.status, 409);
  assert.is(wrong.json().current, binary.toString('base64'));
  const ok = await cas({ expect: binary.toString('base64'), value: Buffer.from([0, 1, 2]).toString('base64') });
  assert.is(ok.status, 200, ok.text);
  const value = await fetch(`${url}/kv/bin`);
  assert.equal([...new Uint8Array(await value.arrayBuffer())], [0, 1, 2]);
  assert.is((await cas({ expect: null, value: '' })).json().current, 'AAEC');
});

test('CAS: a bad encoding or invalid base64 is a 400 naming the field', async () => {
  const cas = (body: Record<string, unknown>) => http(`${url}/kv/b64/cas`, { method: 'POST', body: JSON.stringify(body) });
  const bad = [
    [{ encoding: 'hex', expect: null, value: '00' }, 'field "encoding" must be "utf8" or "base64"'],
    [{ encoding: 'base64', expect: 'abc', value: '' }, 'field "expect" is not valid base64 (standard alphabet, with padding)'],
    [{ encoding: 'base64', expect: null, value: 'a b=' }, 'field "value" is not valid base64 (standard alphabet, with padding)'],
    [{ encoding: 'base64', expect: null, value: '-_8=' }, 'field "value" is not valid base64 (standard alphabet, with padding)'],
  ] as const;
  for (const [body, message] of bad) {
    const r = await cas(body);
    assert.is(r.status, 400, JSON.stringify(body));
    assert.is(r.json().error, message);
  }
  assert.is((await http(`${url}/kv/b64`)).status, 404, 'nothing was written');
});

test.run();
