// From a mutation review of src/metrics.ts: counters whose values are filled in at scrape time must not
// grow with the number of scrapes, a value of 0 given to setIndices is a value, and a WAL cache
// source answering nonsense must neither corrupt the exposition nor fail the scrape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RaftMetrics } from '../../src/metrics.js';
import { parseExposition, value } from '../support/prometheus-text.js';

test('a scrape does not add to server_lease_read_fallbacks_total: it reads the same count every time', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.countLeaseReadFallback();
    metrics.countLeaseReadFallback();
    for (let scrape = 1; scrape <= 3; scrape++) {
      assert.is(value(parseExposition(await metrics.text()), 'tsraft_server_lease_read_fallbacks_total'), 2, `scrape ${scrape}`);
    }
    metrics.countLeaseReadFallback();
    assert.is(value(parseExposition(await metrics.text()), 'tsraft_server_lease_read_fallbacks_total'), 3);
  } finally {
    metrics.stop();
  }
});

test('setIndices sets a field given as 0; only fields left out keep their values', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    metrics.setIndices({ term: 4, commit: 9, applied: 8 });
    metrics.setIndices({ term: 0, commit: 0, applied: 0 });
    const fams = parseExposition(await metrics.text());
    assert.is(value(fams, 'tsraft_server_term'), 0);
    assert.is(value(fams, 'tsraft_server_commit_index'), 0);
    assert.is(value(fams, 'tsraft_server_applied_index'), 0);
  } finally {
    metrics.stop();
  }
});

test('a WAL cache source answering NaN, Infinity or a negative count leaves the counters at their last values, and the scrape still parses', async () => {
  const metrics = new RaftMetrics({ eventLoopDelay: false });
  try {
    let answer = { hits: 7, misses: 2 };
    metrics.setWalCacheSource(() => answer);
    assert.is(value(parseExposition(await metrics.text()), 'tsraft_wal_cache_hits_total'), 7);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      answer = { hits: bad, misses: bad };
      const fams = parseExposition(await metrics.text()); // throws on a NaN sample
      assert.is(value(fams, 'tsraft_wal_cache_hits_total'), 7, `hits after ${bad}`);
      assert.is(value(fams, 'tsraft_wal_cache_misses_total'), 2, `misses after ${bad}`);
    }
  } finally {
    metrics.stop();
  }
});

test.run();
