// Opening the dashboard in a browser logs no console error and counts no 404: the page names no
// icon, so Chromium asks for /favicon.ico; a 404 there showed in the console and counted as
// route="unknown", code="404" (an alert on 404s fired whenever someone opened the page).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { ProcessCluster, http } from '../support/processes.js';

const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));

test('opening the dashboard logs no console error and counts no 404 (/favicon.ico answers 204)', async () => {
  if (!executablePath) {
    console.log('SKIPPED: no Chromium');
    return;
  }
  const c = await ProcessCluster.start(1);
  let browser: Browser | undefined;
  try {
    const n = await c.waitLeader();
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 20_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`);
    });
    await page.goto(`${n.url}/`, { waitUntil: 'load' });
    await page.locator('#members tbody tr').first().waitFor({ timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const metrics = (await http(`${n.url}/metrics`)).text;
    const notFound = /^tsraft_http_requests_total\{route="unknown",code="404"\} (\d+)$/m.exec(metrics)?.[1];
    assert.equal(errors, [], 'console errors');
    assert.is(notFound, undefined, `a dashboard view counted ${notFound} 404s in tsraft_http_requests_total`);
    assert.is((await http(`${n.url}/favicon.ico`)).status, 204);
  } finally {
    await browser?.close();
    await c.close();
  }
});

test.run();
