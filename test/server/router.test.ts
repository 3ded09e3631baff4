// The Router (src/server/routes.ts) on its own: how a path's key segment is decoded and bounded,
// and that a route matches its whole path. Found by the mutation review of the server's entry
// points: a short key with %-escapes was never checked decoded (a router storing "a%20b" under
// its escaped spelling passed every test), nor a key over 4096 UTF-8 bytes sent without escapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpError } from '../../src/server/http-errors.js';
import { MAX_KEY_BYTES, Router, type Route } from '../../src/server/routes.js';

const handler = (): { status: number; body: string } => ({ status: 200, body: '' });
const routes = (): Array<Route<null>> => [
  { method: 'GET', pattern: '/kv/{key}', handler },
  { method: 'PUT', pattern: '/kv/{key}', handler },
  { method: 'DELETE', pattern: '/kv/{key}', handler },
  { method: 'POST', pattern: '/kv/{key}/cas', handler },
  { method: 'GET', pattern: '/status', handler },
  { method: 'DELETE', pattern: '/members/{address}', handler },
];
const router = new Router<null>(routes());

function refusal(method: string, path: string): HttpError {
  try {
    router.match(method, path);
  } catch (err) {
    assert.instance(err, HttpError);
    return err as HttpError;
  }
  assert.unreachable(`${method} ${path} matched`);
  throw new Error('unreachable');
}

test('a key is one URL-encoded segment: a short key with %-escapes names the decoded key ("a%20b%2Fc" is "a b/c")', () => {
  assert.is(router.match('PUT', '/kv/a%20b%2Fc').param, 'a b/c');
  assert.is(router.match('GET', '/kv/%C3%A9t%C3%A9').param, 'été');
  assert.is(router.match('POST', '/kv/x%3Fy/cas').param, 'x?y');
  assert.is(router.match('DELETE', '/members/127.0.0.1%3A7001').param, '127.0.0.1:7001');
  // Without escapes the segment is the key as is.
  assert.is(router.match('GET', '/kv/plain-key').param, 'plain-key');
});

test('a key longer than 4096 UTF-8 bytes is a 400 however it is written, also without %-escapes (non-ASCII text counts in bytes)', () => {
  // 2 UTF-8 bytes per character: 2048 characters are exactly the limit, 2049 one character over.
  assert.is(router.match('PUT', `/kv/${'é'.repeat(MAX_KEY_BYTES / 2)}`).param.length, MAX_KEY_BYTES / 2);
  for (const key of ['é'.repeat(MAX_KEY_BYTES / 2 + 1), '€'.repeat(1400), 'k'.repeat(MAX_KEY_BYTES + 1)]) {
    const err = refusal('PUT', `/kv/${key}`);
    assert.is(err.status, 400, `${key.length} characters of ${key[0]}`);
    assert.match(err.message, /key longer than 4096 bytes/);
  }
});

test('a route matches its whole path: a longer or shorter path is 404, not a prefix match', () => {
  for (const path of ['/kv/a/b', '/kv/a/cas/x', '/kv', '/status/x', '/statusx', '/kv/a/', '/']) {
    const err = refusal('GET', path);
    assert.is(err.status, 404, path);
  }
});

test('a known path with another method is 405 with Allow (GET routes also allow HEAD); HEAD runs the GET route', () => {
  const err = refusal('POST', '/kv/k');
  assert.is(err.status, 405);
  assert.is(err.headers.Allow, 'GET, HEAD, PUT, DELETE');
  assert.is(refusal('PUT', '/status').headers.Allow, 'GET, HEAD');
  assert.is(router.match('HEAD', '/kv/k').route.name, 'GET /kv/{key}');
});

test.run();
