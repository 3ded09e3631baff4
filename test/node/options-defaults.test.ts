// From a mutation review of src/node-options.ts: options left out take the defaults the README
// and NodeOptions document. Changing any of these (a 50 ms heartbeat, a 500 ms election timeout, a
// 1 s request timeout, no log kept behind a snapshot, a leader wait longer than the request
// timeout) passed every other test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveWith as resolve } from './options-helpers.js';

test('options left out take their documented defaults', () => {
  const o = resolve();
  assert.is(o.host, 'localhost');
  assert.is(o.address, 'localhost:9001');
  assert.is(o.heartbeatMs, 100);
  assert.is(o.electionTimeoutMs, 1000);
  assert.is(o.requestTimeoutMs, 5000);
  assert.is(o.sync, 'always');
  assert.is(o.snapshotTrailingEntries, 10_000);
  assert.is(o.clusterId, 'tsraft');
  assert.is(o.logLevel, 'info');
  assert.is(o.join, false);
  assert.is(o.nonVoting, false);
  assert.equal(o.founding, [{ address: 'localhost:9001', nonVoting: false }]);
  assert.is(o.membersGiven, false);
});

test('options given as undefined take their defaults too', () => {
  const o = resolve({ heartbeatMs: undefined, electionTimeoutMs: undefined, requestTimeoutMs: undefined, snapshotTrailingEntries: undefined, leaderWaitMs: undefined });
  assert.is(o.heartbeatMs, 100);
  assert.is(o.electionTimeoutMs, 1000);
  assert.is(o.requestTimeoutMs, 5000);
  assert.is(o.snapshotTrailingEntries, 10_000);
  assert.is(o.leaderWaitMs, 2000);
});

test('leaderWaitMs defaults to two election timeouts, at most requestTimeoutMs', () => {
  assert.is(resolve().leaderWaitMs, 2000, 'two default election timeouts');
  assert.is(resolve({ electionTimeoutMs: 300, heartbeatMs: 50 }).leaderWaitMs, 600);
  assert.is(resolve({ electionTimeoutMs: 4000 }).leaderWaitMs, 5000, 'capped at the default request timeout');
  assert.is(resolve({ requestTimeoutMs: 1500 }).leaderWaitMs, 1500, 'capped at requestTimeoutMs');
  assert.is(resolve({ leaderWaitMs: 0 }).leaderWaitMs, 0, '0 refuses at once');
});

test.run();
