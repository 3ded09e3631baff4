// From the long-run growth audit: the dashboard page (src/server/dashboard.ts) keeps, per member
// address, the request counters of its previous poll (`counters`, for the rates). Rows of members
// that left are removed, but their counters never were: a dashboard left open on a wall screen
// while members come and go at new addresses (thousands of times over months) held one record per
// address ever seen. Here the page's own node reports a new second member at every poll; the
// counters must stay as many as the members shown. Headless Chromium, as dashboard.test.ts;
// without a Chromium binary it is skipped with a "SKIPPED:" line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { dashboardHtml } from '../../src/server/dashboard.js';
import type { NodeStatus } from '../../src/server/status.js';

function statusOf(address: string, httpAddress: string, members: NodeStatus['members']): NodeStatus {
  return {
    address,
    httpAddress,
    state: 'follower',
    term: 1,
    leader: null,
    commitIndex: 1,
    appliedIndex: 1,
    firstIndex: 1,
    lastIndex: 1,
    snapshotIndex: 0,
    removedAt: null,
    clusterFingerprint: null,
    incarnation: null,
    members,
    keys: 0,
    digest: '0',
    requests: { writes: 0, reads: 0 },
    uptimeSeconds: 1,
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

if (!executablePath) {
  console.log('SKIPPED: no Chromium (looked at $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser)');
} else {
  test('a new member at every poll: the page keeps counters for the current members only', async () => {
    const own = createServer();
    const other = createServer();
    let browser: Browser | undefined;
    try {
      const ownHttp = await listen(own);
      const otherHttp = await listen(other);
      let polls = 0;
      own.on('request', (req, res) => {
        if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(dashboardHtml());
        if (req.url !== '/status') return void res.writeHead(404).end();
        polls++;
        // The second member has left and another joined at a new address since the last poll.
        const members = [
          { address: 'self:7000', httpAddress: ownHttp, nonVoting: false },
          { address: `joiner-${polls}:7000`, httpAddress: otherHttp, nonVoting: false },
        ];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusOf('self:7000', ownHttp, members)));
      });
      other.on('request', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
        res.end(JSON.stringify(statusOf(`joiner-${polls}:7000`, otherHttp, [])));
      });
      browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 20_000 });
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`http://${ownHttp}/`);
      const deadline = Date.now() + 15_000;
      while (polls < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300)); // the last poll rendered
      assert.ok(polls >= 6, `only ${polls} polls`);
      assert.is(await page.locator('#members tbody tr').count(), 2, 'the rows show the two current members');
      const kept = (await page.evaluate('counters.size')) as number;
      assert.ok(kept <= 2, `after ${polls} polls with a new member each, the page keeps counters for ${kept} addresses`);
      assert.equal(pageErrors, []);
    } finally {
      await browser?.close();
      own.closeAllConnections();
      other.closeAllConnections();
      await Promise.all([own, other].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
  });
}

test.run();
