// From a mutation review of what GET / (the dashboard, src/server/dashboard.ts) and GET /status (the
// NodeStatus document, src/server/status.ts) answer over HTTP. Pins that:
// - the dashboard is served as `text/html; charset=utf-8` with `Cache-Control: no-store` (a cached
//   page would keep running an old script after an upgrade), and other methods get 405 with Allow;
// - /status is `Cache-Control: no-store` as well as readable from any origin;
// - removedAt is null (not 0, not absent) on a node that was never removed;
// - uptimeSeconds counts seconds since the HTTP server started: never more than the time the test
//   has watched it, at least the time it waited.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dashboardHtml } from '../../src/server/dashboard.js';
import type { NodeStatus } from '../../src/server/status.js';
import { KvCluster, raw } from '../support/kv-http-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('GET / serves the dashboard as uncached UTF-8 HTML; other methods are 405 with Allow', async () => {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const page = await raw(m.url, 'GET', '/');
    assert.is(page.status, 200);
    assert.is(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.is(page.headers['cache-control'], 'no-store');
    assert.is(page.text, dashboardHtml());
    const post = await raw(m.url, 'POST', '/', 'x');
    assert.is(post.status, 405, post.text);
    assert.match(String(post.headers.allow), 'GET');
  } finally {
    await c.close();
  }
});

test('GET /status is uncached and readable from any origin; removedAt is null on a node never removed', async () => {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const r = await raw(m.url, 'GET', '/status');
    assert.is(r.status, 200);
    assert.is(r.headers['cache-control'], 'no-store');
    assert.is(r.headers['access-control-allow-origin'], '*');
    const status = JSON.parse(r.text) as NodeStatus;
    assert.ok('removedAt' in status, r.text);
    assert.is(status.removedAt, null, r.text);
  } finally {
    await c.close();
  }
});

test('/status uptimeSeconds counts seconds since the server started (not more than the test watched, not less than it waited)', async () => {
  const before = performance.now();
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const started = performance.now(); // the server started before this
    await sleep(1600);
    const waited = (performance.now() - started) / 1000; // before the request: uptime is at least this
    const status = JSON.parse((await raw(m.url, 'GET', '/status')).text) as NodeStatus;
    const watched = (performance.now() - before) / 1000; // after the answer: uptime is at most this
    assert.ok(status.uptimeSeconds <= Math.round(watched), `uptime ${status.uptimeSeconds} s, watched ${watched.toFixed(2)} s`);
    assert.ok(status.uptimeSeconds >= Math.floor(waited), `uptime ${status.uptimeSeconds} s, waited ${waited.toFixed(2)} s`);
  } finally {
    await c.close();
  }
});

test.run();
