// Metrics under a few thousand writes, and bounded cardinality of /metrics (real processes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';
import { parseExposition, value, type Family } from '../support/prometheus-text.js';

async function scrape(n: RaftProcess): Promise<{ fams: Map<string, Family>; text: string }> {
  const r = await http(`${n.url}/metrics`);
  assert.is(r.status, 200);
  return { fams: parseExposition(r.text), text: r.text };
}
const put = (n: RaftProcess, k: string, v: string) => http(`${n.url}/kv/${k}`, { method: 'PUT', body: v });

/** A raw request whose method and path are sent as given. */
function raw(url: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('3000 writes (leader and forwarded) and reads: counters, /status and http counts agree; /metrics stays small and valid', async () => {
  const c = await ProcessCluster.start(3);
  try {
    const leader = await c.waitLeader();
    const follower = c.nodes.find((n) => n !== leader)!;
    const sizeBefore = (await scrape(leader)).text.length;
    const N = 3000;
    let next = 0;
    let fails = 0;
    const scrapes: Promise<unknown>[] = [];
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= N) return;
        const target = i % 4 === 0 ? follower : leader;
        const r = await put(target, `key-${i}`, 'x'.repeat(32));
        if (r.status !== 200) fails++;
        if (i % 500 === 0) scrapes.push(scrape(leader));
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await Promise.all(scrapes);
    assert.is(fails, 0);
    for (let i = 0; i < 100; i++) assert.is((await http(`${follower.url}/kv/key-${i}`)).status, 200);
    const commit = (await leader.status())!.commitIndex;
    await waitFor('applied everywhere', async () => (await Promise.all(c.nodes.map((n) => n.status()))).every((s) => s?.appliedIndex === commit));
    const fwd = N / 4;
    for (const n of c.nodes) {
      const { fams, text } = await scrape(n);
      const st = (await n.status())!;
      assert.is(value(fams, 'tsraft_server_proposals_applied_total'), N, `${n.peerAddress} applied_total`);
      assert.is(value(fams, 'tsraft_server_proposals_committed_total'), N, `${n.peerAddress} committed_total`);
      assert.is(value(fams, 'tsraft_server_applied_index'), st.appliedIndex);
      assert.is(value(fams, 'tsraft_server_proposals_pending'), 0);
      assert.is(value(fams, 'tsraft_server_proposals_failed_total'), 0);
      const puts = value(fams, 'tsraft_http_requests_total', { route: 'PUT /kv/{key}', code: '200' }) ?? 0;
      assert.is(puts, n === leader ? N - fwd : n === follower ? fwd : 0, `${n.peerAddress} PUT 200`);
      assert.is(st.requests.writes, puts);
      const gets = value(fams, 'tsraft_http_requests_total', { route: 'GET /kv/{key}', code: '200' }) ?? 0;
      assert.is(gets, n === follower ? 100 : 0);
      assert.is(st.requests.reads, gets);
      assert.is(st.keys, N);
      if (n === leader) assert.ok(text.length < sizeBefore + 3000, `leader /metrics grew from ${sizeBefore} to ${text.length} bytes`);
    }
  } finally {
    await c.close();
  }
});

test('unknown paths and methods do not add label values (route="unknown")', async () => {
  const c = await ProcessCluster.start(1);
  try {
    const n = await c.waitLeader();
    for (let i = 0; i < 50; i++) await raw(n.url, 'GET', `/nope-${i}`);
    for (const m of ['PROPFIND', 'PATCH', 'BREW', 'DELETE']) await raw(n.url, m, '/status');
    await raw(n.url, 'GET', '/kv/' + 'a'.repeat(5000));
    const { fams } = await scrape(n);
    const routes = new Set(fams.get('tsraft_http_requests_total')!.samples.map((s) => s.labels.route));
    for (const r of routes) assert.ok(r === 'unknown' || /^[A-Z]+ \/[a-z/{}]*$/.test(r!), `route label ${r}`);
    assert.ok(routes.size <= 4, [...routes].join(', '));
  } finally {
    await c.close();
  }
});

test.run();
