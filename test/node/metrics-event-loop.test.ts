// From a mutation review of src/metrics.ts: tsraft_server_event_loop_delay_seconds is the delay beyond
// the sampling interval, over the window since the previous scrape, and a window without samples
// leaves the gauges as they were. Margins are wide (tenths of a second) so that a loaded machine
// does not fail them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftMetrics } from '../../src/metrics.js';
import { parseExposition, value } from '../support/prometheus-text.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the event loop busy for `ms` milliseconds. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // blocked
  }
}

async function delays(metrics: RaftMetrics): Promise<Record<'p50' | 'p99' | 'max', number>> {
  const fams = parseExposition(await metrics.text());
  const stat = (s: string) => value(fams, 'tsraft_server_event_loop_delay_seconds', { stat: s })!;
  return { p50: stat('p50'), p99: stat('p99'), max: stat('max') };
}

test('event-loop delay leaves out the sampling interval: an idle loop sampled every 200 ms has a median delay well under 200 ms', async () => {
  const metrics = new RaftMetrics({ eventLoopResolutionMs: 200 });
  try {
    await sleep(1100); // about five samples, each 200 ms apart plus the delay
    const d = await delays(metrics);
    assert.ok(d.p50 >= 0 && d.p50 < 0.15, `median delay ${d.p50} s counts the 0.2 s sampling interval as delay`);
  } finally {
    metrics.stop();
  }
});

test('a scrape starts a new delay window: a stall reported by one scrape is not reported again by the next', async () => {
  const metrics = new RaftMetrics({ eventLoopResolutionMs: 10 });
  try {
    await sleep(30);
    block(500);
    await sleep(40);
    const first = await delays(metrics);
    assert.ok(first.max >= 0.4, `the 500 ms stall shows: max ${first.max} s`);
    await sleep(150); // a new window with samples, and no stall
    const second = await delays(metrics);
    assert.ok(second.max < 0.35, `the next window still reports the earlier stall: max ${second.max} s`);
  } finally {
    metrics.stop();
  }
});

test('a scrape whose window holds no samples leaves the delay gauges unchanged', async () => {
  const metrics = new RaftMetrics({ eventLoopResolutionMs: 10 });
  try {
    await sleep(30);
    block(150);
    await sleep(40);
    const first = await delays(metrics);
    assert.ok(first.max > 0, `max ${first.max}`);
    // No macrotask runs between the two scrapes, so the monitor's timer cannot add a sample.
    const second = await delays(metrics);
    assert.equal(second, first);
  } finally {
    metrics.stop();
  }
});

test.run();
