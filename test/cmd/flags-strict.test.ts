// From a mutation review of cmd/flags.ts: the parser is strict (an unknown flag or a stray
// argument is a FlagError naming it, so raft-node exits 2), --help and -h start nothing, every
// documented value is taken, and a duration becomes whole milliseconds. Loosening any of these
// passed every other flag test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

function config(args: string[]): ServerConfig {
  const c = parseFlags(args);
  assert.ok(c !== 'help', `${args.join(' ')}: help`);
  return c;
}

test('an unknown flag is a FlagError naming it (exit 2), not ignored', () => {
  assert.match(flagError(['--bogus']), "'--bogus'");
  assert.match(flagError(['--port', '9001', '--election-timout', '2s']), "'--election-timout'");
  assert.match(flagError(['--nonvoting']), "'--nonvoting'");
});

test('an empty --members (an unset shell variable) is a FlagError saying it lists no member, not that it leaves this node out', () => {
  for (const empty of ['', ';', ' ; ']) {
    assert.match(flagError(['--members', empty]), /^--members: lists no member \(got ".*"\); give "h:p;h:p", or leave the flag out/);
    assert.match(flagError(['--join', '--members', empty]), /^--members: lists no member/);
  }
});

test('a stray argument (a value without its flag, or a second value) is a FlagError naming it', () => {
  assert.match(flagError(['9001']), "'9001'");
  assert.match(flagError(['--port', '9001', 'localhost:9002']), "'localhost:9002'");
  // --join takes no value: "--join localhost:9001" is not a member list.
  assert.match(flagError(['--join', 'localhost:9001']), "'localhost:9001'");
});

test('--help and -h return help, whatever else is given, instead of a configuration to start', () => {
  assert.is(parseFlags(['--help']), 'help');
  assert.is(parseFlags(['-h']), 'help');
  assert.is(parseFlags(['--port', '9001', '--help']), 'help');
});

test('a repeated flag is refused, boolean flags included', () => {
  assert.is(flagError(['--port', '9002', '--members', 'localhost:9001', '--join', '--join']), '--join: given twice; give it once');
  assert.is(flagError(['--port', '9002', '--members', 'localhost:9001', '--join', '--non-voting', '--non-voting']), '--non-voting: given twice; give it once');
});

test('a malformed --members list is a FlagError naming --members and the bad item', () => {
  assert.is(flagError(['--members', 'localhost:9001;nonsense']), '--members: bad member address "nonsense": expected host:port with a port from 1 to 65535 (an IPv6 address in brackets)');
  assert.match(flagError(['--members', 'localhost:9001;localhost:9001']), /^--members: .*localhost:9001/);
  assert.match(flagError(['--members', 'localhost:9001,yes']), /^--members: bad member "localhost:9001,yes"/);
});

test('--members "h:p;h:p;h:p,true" splits on ";" and marks only ",true" non-voting', () => {
  const c = config(['--port', '9001', '--members', 'localhost:9001;localhost:9002 ; localhost:9003,true']);
  assert.equal(c.members, [
    { address: 'localhost:9001', nonVoting: false },
    { address: 'localhost:9002', nonVoting: false },
    { address: 'localhost:9003', nonVoting: true },
  ]);
});

test('--snapshot-policy takes every documented policy', () => {
  for (const p of ['never', 'second', 'minute', 'hour', 'day', 'default']) assert.is(config(['--snapshot-policy', p]).snapshotPolicy, p);
  assert.is(flagError(['--snapshot-policy', 'week']), '--snapshot-policy: expected one of never, second, minute, hour, day, default, got "week"');
});

test('a duration is whole milliseconds (the library refuses fractions with a message naming its option, not the flag)', () => {
  assert.is(config(['--heartbeat', '1.5ms', '--election-timeout', '4ms']).heartbeatMs, 2);
  assert.is(config(['--request-timeout', '0.0025s']).requestTimeoutMs, 3);
  assert.is(config(['--leader-wait', '0.4ms']).leaderWaitMs, 0);
});

test.run();
