// raft-node's flag parser (cmd/flags.ts), in process: durations need a unit (ms, s, m, h — the
// units its messages name), and flags that would only fail later, in the library, with a message
// naming a library option or after files were made, fail here naming the flag.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { USAGE, configAdvice, parseDuration, parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

function config(args: string[]): ServerConfig {
  const c = parseFlags(args);
  assert.ok(c !== 'help');
  return c;
}

test('a bare number is refused for every duration flag, naming the flag and suggesting units', () => {
  assert.is(flagError(['--election-timeout', '1000']), '--election-timeout 1000: give a unit, e.g. 1000ms or 1s');
  assert.is(flagError(['--election-timeout', '1500']), '--election-timeout 1500: give a unit, e.g. 1500ms or 1.5s');
  assert.is(flagError(['--heartbeat', '100']), '--heartbeat 100: give a unit, e.g. 100ms or 100s');
  assert.is(flagError(['--request-timeout', '5']), '--request-timeout 5: give a unit, e.g. 5ms or 5s');
  assert.is(flagError(['--request-timeout', '1.5']), '--request-timeout 1.5: give a unit, e.g. 1.5ms or 1.5s');
});

test('durations take ms, s, m and h, fractions included, from 1ms to 1h', () => {
  assert.is(parseDuration('x', '500ms'), 500);
  assert.is(parseDuration('x', '5s'), 5000);
  assert.is(parseDuration('x', '1.5s'), 1500);
  assert.is(parseDuration('x', '2m'), 120_000);
  assert.is(parseDuration('x', '1h'), 3_600_000);
  assert.is(parseDuration('x', '0.5h'), 1_800_000);
  assert.is(parseDuration('x', '1ms'), 1);
  const c = config(['--request-timeout', '1h', '--heartbeat', '50ms', '--election-timeout', '0.5s']);
  assert.is(c.requestTimeoutMs, 3_600_000);
  assert.is(c.heartbeatMs, 50);
  assert.is(c.electionTimeoutMs, 500);
  assert.is(c.leaderWaitMs, undefined, 'no --leader-wait: the library default');
  // An IPv6 host, bare or in brackets, is carried in brackets (QA: "::1" made "::1:7401").
  assert.is(config(['--host', '::1']).host, '[::1]');
  assert.is(config(['--host', '[::1]']).host, '[::1]');
  assert.is(flagError(['--host', '0.0.0.0']), '--host: bad member address "0.0.0.0:9001": 0.0.0.0 is the unspecified address, which a server may listen on but peers cannot reach; give the node\'s own address');
  assert.is(config(['--leader-wait', '0ms']).leaderWaitMs, 0);
  assert.is(config(['--leader-wait', '3s']).leaderWaitMs, 3000);
  assert.is(flagError(['--leader-wait', '2h']), '--leader-wait: must be between 0ms and 1h, got "2h"');
});

test('out-of-range and malformed durations: the message names the accepted units and the range', () => {
  assert.is(flagError(['--request-timeout', '2h']), '--request-timeout: must be between 1ms and 1h, got "2h"');
  assert.is(flagError(['--request-timeout', '61m']), '--request-timeout: must be between 1ms and 1h, got "61m"');
  assert.is(flagError(['--request-timeout', '0ms']), '--request-timeout: must be between 1ms and 1h, got "0ms"');
  for (const bad of ['soon', '5 s', '5sec', '1d', '-1s', 's', '']) {
    assert.is(flagError([`--request-timeout=${bad}`]), `--request-timeout: expected a duration like 500ms, 5s, 2m or 1h, got ${JSON.stringify(bad)}`);
  }
});

test('--help describes durations and the exit statuses', () => {
  assert.match(USAGE, 'a bare number is refused');
  assert.match(USAGE, 'Exit status: 0 after a clean stop');
  assert.match(USAGE, 'raft-node inspect: 0 no problems found, 3 problems found');
});

test('--path and --cluster-id must not be empty (the message names the flag, not a library option)', () => {
  assert.is(flagError(['--path', '']), '--path: must not be empty');
  assert.is(flagError(['--path=']), '--path: must not be empty');
  assert.is(flagError(['--path', '  ']), '--path: must not be empty');
  assert.is(flagError(['--cluster-id=']), '--cluster-id: must not be empty');
  assert.is(flagError(['--cluster-id', '']), '--cluster-id: must not be empty');
  assert.is(config(['--path', 'd', '--cluster-id', 'c']).clusterId, 'c');
  // One a peer refuses in the handshake started a cluster that never elected a leader (a README check).
  assert.is(flagError(['--cluster-id', 'c'.repeat(513)]), '--cluster-id: longer than the 512 characters a peer accepts (513)');
  assert.is(flagError(['--cluster-id', 'my\tcluster']), '--cluster-id: it holds a control character, which a peer does not accept');
  assert.is(config(['--path', 'd', '--cluster-id', 'c'.repeat(512)]).clusterId.length, 512);
});

test('advice: values over 16MiB with an election timeout under 3s get one warning naming both flags and the fix; nothing else does', () => {
  const [line, ...rest] = configAdvice(config(['--max-value-bytes', '59MiB']));
  assert.is(rest.length, 0);
  assert.match(line!, /^--max-value-bytes 59MiB with --election-timeout 1000ms: .* give values that large --election-timeout 3s or more$/);
  assert.match(configAdvice(config(['--max-value-bytes', '17000000', '--election-timeout', '2999ms']))[0]!, /^--max-value-bytes 16.2MiB with --election-timeout 2999ms/);
  assert.equal(configAdvice(config(['--max-value-bytes', '59MiB', '--election-timeout', '3s'])), []);
  assert.equal(configAdvice(config(['--max-value-bytes', '16MiB'])), [], 'up to 16MiB: held ~0.1 s');
  assert.equal(configAdvice(config([])), [], 'the defaults');
  assert.match(USAGE, 'over 16MiB, give --election-timeout 3s or more', '--help says it too');
});

test('--max-value-bytes: at most 59MiB, so that an entry fits in one peer message (found in review: 70MiB was accepted, and a value that large was appended and never sent, wedging every later write)', () => {
  assert.is(config(['--max-value-bytes', '59MiB']).maxValueBytes, 59 * 1024 * 1024);
  assert.match(flagError(['--max-value-bytes', '70MiB']), '--max-value-bytes: at most 59MiB (an entry must fit in one peer message)');
});

test('--max-connections: a whole number from 1, default 1000', () => {
  assert.is(config([]).maxConnections, 1000);
  assert.is(config(['--max-connections', '5000']).maxConnections, 5000);
  assert.is(flagError(['--max-connections', '0']), '--max-connections: must be at least 1, got "0"');
});

test('--snapshots-kept: a whole number from 1 to 1000; without it the library decides (2)', () => {
  assert.is(config([]).snapshotsKept, undefined);
  assert.is(config(['--snapshots-kept', '1']).snapshotsKept, 1);
  assert.is(flagError(['--snapshots-kept', '0']), '--snapshots-kept: must be from 1 to 1000, got "0"');
  assert.is(flagError(['--snapshots-kept', 'two']), '--snapshots-kept: expected a whole number, got "two"');
  assert.match(USAGE, '--snapshots-kept N');
});

test('--members with no voting member is a flag error (founding only; joining lists contacts)', () => {
  const message = flagError(['--port', '9001', '--members', 'localhost:9001,true']);
  assert.match(message, /^--members: lists no voting member/);
  assert.match(flagError(['--port', '9001', '--members', 'localhost:9001,true;localhost:9002,true']), /^--members: lists no voting member/);
  assert.is(config(['--port', '9001', '--members', 'localhost:9001,true;localhost:9002']).members?.length, 2);
  assert.is(config(['--port', '9003', '--join', '--members', 'localhost:9001,true']).join, true);
});

test('without --members the node gets none: the library founds a cluster of it alone, or a restart keeps the persisted configuration without a warning', () => {
  assert.is(config(['--port', '9001']).members, undefined);
});

test('--http-port that is another member\'s peer port on this host is a flag error naming the member', () => {
  const members = 'localhost:9001;localhost:9002;localhost:9003';
  assert.match(flagError(['--port', '9001', '--http-port', '9002', '--members', members]), /^--http-port: 9002 is the peer port of member localhost:9002/);
  // Another host's port of that number, or an unlisted port, is fine.
  assert.is(config(['--port', '9001', '--http-port', '9002', '--members', 'localhost:9001;otherhost:9002']).httpPort, 9002);
  assert.is(config(['--port', '9001', '--http-port', '9004', '--members', members]).httpPort, 9004);
});

test.run();
