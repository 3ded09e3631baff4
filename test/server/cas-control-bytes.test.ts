// The CAS body limit must leave room for JSON.stringify's (every JSON encoder's) 6-byte \u00XX
// escape of each control byte (U+0000..U+001F other than \b\t\n\f\r), for EACH string: a 6x
// limit for both together refused CASes within --max-value-bytes with 413.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('CAS of a value within --max-value-bytes whose old and new values hold control bytes (plain JSON.stringify body) is applied, not 413', async () => {
  const limit = 64 * 1024;
  const c = await KvCluster.start(1, {}, limit);
  try {
    const l = await c.waitLeader();
    const old = '\u0001'.repeat(limit); // valid UTF-8, exactly the limit
    const next = '\u0002'.repeat(limit);
    const put = await raw(l.url, 'PUT', '/kv/doc', Buffer.from(old));
    assert.is(put.status, 200, put.text);
    const body = JSON.stringify({ expect: old, value: next });
    const cas = await raw(l.url, 'POST', '/kv/doc/cas', body, { 'Content-Type': 'application/json' });
    assert.is(cas.status, 200, `body of ${body.length} bytes: ${cas.status} ${cas.text}`);
    assert.is((await raw(l.url, 'GET', '/kv/doc?consistency=local')).text, next);
  } finally {
    await c.close();
  }
});

test.run();
