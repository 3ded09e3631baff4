// README, "The HTTP API", errors table: "413 | value (or a CAS `expect`) or body larger than
// `--max-value-bytes`, or an append that would grow a value past it; `"outcome": "not applied"`".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

test('every 413 (PUT body by Content-Length or chunked, CAS value or expect, append past the limit) says "outcome": "not applied"', async () => {
  const c = await KvCluster.start(1, {}, 1024);
  try {
    const l = await c.waitLeader();
    assert.is((await raw(l.url, 'PUT', '/kv/full', Buffer.alloc(1000, 0x61))).status, 200);
    const cases: Array<[string, Promise<Awaited<ReturnType<typeof raw>>>]> = [
      ['PUT, Content-Length past the limit', raw(l.url, 'PUT', '/kv/a', Buffer.alloc(2000))],
      ['PUT, chunked past the limit', raw(l.url, 'PUT', '/kv/a', Buffer.alloc(2000), { 'Transfer-Encoding': 'chunked' })],
      ['CAS value past the limit', raw(l.url, 'POST', '/kv/a/cas', JSON.stringify({ expect: null, value: 'x'.repeat(2000) }))],
      ['CAS expect past the limit', raw(l.url, 'POST', '/kv/a/cas', JSON.stringify({ expect: 'x'.repeat(2000), value: 'y' }))],
      ['append past the limit', raw(l.url, 'POST', '/kv/full/append', Buffer.alloc(100))],
    ];
    const wrong: string[] = [];
    for (const [name, answer] of cases) {
      const r = await answer;
      assert.is(r.status, 413, `${name}: ${r.text}`);
      const body = JSON.parse(r.text) as { error?: unknown; outcome?: unknown };
      assert.type(body.error, 'string', name);
      if (body.outcome !== 'not applied') wrong.push(`${name}: ${r.text}`);
    }
    assert.is(wrong.length, 0, `413 bodies without "outcome": "not applied":\n${wrong.join('\n')}`);
    assert.is((await raw(l.url, 'GET', '/kv/a')).status, 404, 'nothing was applied');
  } finally {
    await c.close();
  }
});

test.run();
