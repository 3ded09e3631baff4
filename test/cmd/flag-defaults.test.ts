// From a mutation review of cmd/flags.ts: with no flags, raft-node gets the defaults --help
// documents. A changed default (sync none, preallocation off, ...) passed every other test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { USAGE, parseFlags } from '../../cmd/flags.js';

test('the defaults are the ones --help documents', () => {
  const c = parseFlags([]);
  assert.ok(c !== 'help');
  assert.equal(c, {
    host: 'localhost',
    port: 9001,
    httpPort: 10001,
    path: 'data/localhost-9001',
    members: undefined,
    join: false,
    nonVoting: false,
    snapshotPolicy: 'default',
    snapshotTrailingEntries: 10_000,
    snapshotsKept: undefined,
    walSegmentBytes: 64 * 1024 * 1024,
    walPreallocate: true,
    sync: 'always',
    requestTimeoutMs: 5000,
    leaderWaitMs: undefined,
    maxValueBytes: 1024 * 1024,
    maxConnections: 1000,
    logLevel: 'info',
    heartbeatMs: 100,
    electionTimeoutMs: 1000,
    clusterId: 'tsraft',
    gcHeapGrowthPercent: 100,
    peerTls: undefined,
  });
  for (const documented of ['(default 10000)', '(default 64MiB)', '(default true;', 'or left to the OS (default always)', '(default 1MiB,', '(default info)', '(default 100ms)', '(default 1s)', '(default tsraft)', '(default 100, like']) {
    assert.ok(USAGE.includes(documented), documented);
  }
});

test('--wal-preallocate and --sync take their documented values', () => {
  const c = parseFlags(['--wal-preallocate', 'false', '--sync', 'none']);
  assert.ok(c !== 'help');
  assert.is(c.walPreallocate, false);
  assert.is(c.sync, 'none');
});

test.run();
