// compare-and-set at the edges of --max-value-bytes (README, "The HTTP API": a CAS body
// is JSON, expect/value strings; 413 only for a value larger than --max-value-bytes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** JSON as Python's json.dumps writes it by default (ensure_ascii): every non-ASCII char as \uXXXX. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}


test('CAS of a value within --max-value-bytes, sent as ASCII-only JSON (\\u escapes), is applied, not refused with 413', async () => {
  const limit = 256 * KiB;
  const c = await KvCluster.start(1, {}, limit);
  try {
    const l = await c.waitLeader();
    // Both values fit the limit: 87,381 CJK characters of 3 UTF-8 bytes each.
    const old = '中'.repeat(Math.floor(limit / 3));
    const next = '文'.repeat(Math.floor(limit / 3));
    assert.ok(Buffer.byteLength(old) <= limit && Buffer.byteLength(next) <= limit);
    const put = await raw(l.url, 'PUT', '/kv/doc', Buffer.from(old));
    assert.is(put.status, 200, put.text);
    const body = asciiJson({ expect: old, value: next });
    assert.is(JSON.parse(body).expect, old, 'the body is valid JSON for the same strings');
    const cas = await raw(l.url, 'POST', '/kv/doc/cas', body, { 'Content-Type': 'application/json' });
    assert.is(cas.status, 200, cas.text);
    assert.is((await raw(l.url, 'GET', '/kv/doc?consistency=local')).text, next);
  } finally {
    await c.close();
  }
});

test('CAS whose expect is longer than any value can be (past the 60 MiB command limit) is a 4xx that says not applied, not a 500 "internal error" with outcome unknown', async () => {
  // The largest limit raft-node allows: 59 MiB.
  const limit = 59 * MiB;
  const c = await KvCluster.start(1, {}, limit);
  try {
    const l = await c.waitLeader();
    const body = JSON.stringify({ expect: 'e'.repeat(61 * MiB), value: 'v' });
    const cas = await raw(l.url, 'POST', '/kv/k/cas', body, { 'Content-Type': 'application/json' });
    const answer = JSON.parse(cas.text) as { error: string; outcome?: string };
    assert.ok(cas.status >= 400 && cas.status < 500, `status ${cas.status}: ${cas.text}`);
    assert.is.not(answer.outcome, 'unknown');
  } finally {
    await c.close();
  }
});

test.run();
