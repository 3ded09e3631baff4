// From a mutation review of cmd/flags.ts: flags that are each valid but inconsistent together
// are refused naming the flag. None of these checks was exercised (the --http-port clash with a
// member's peer port is in flags.test.ts, whose test of it uvu never ran until it moved above test.run()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

function config(args: string[]): ServerConfig {
  const c = parseFlags(args);
  assert.ok(c !== 'help');
  return c;
}

test('--http-port defaults to --port + 1000, refused when that is not a port', () => {
  assert.is(config(['--port', '64535']).httpPort, 65535);
  assert.is(flagError(['--port', '64536']), '--http-port: the default (port + 1000 = 65536) is not a valid port; set --http-port');
  assert.is(config(['--port', '64536', '--http-port', '8080']).httpPort, 8080);
});

test('--http-port must differ from --port', () => {
  assert.is(flagError(['--port', '9001', '--http-port', '9001']), '--http-port: must differ from --port');
});

test('--join needs --members', () => {
  assert.is(flagError(['--join']), '--join: needs --members listing members of the running cluster');
});

test('a founding --members list must include this node', () => {
  assert.is(flagError(['--port', '9001', '--members', 'localhost:9002;localhost:9003']), '--members: does not include this node (localhost:9001); use --join to join a running cluster');
  assert.is(config(['--port', '9001', '--join', '--members', 'localhost:9002;localhost:9003']).join, true);
});

test('--non-voting only with --join', () => {
  assert.is(flagError(['--non-voting']), '--non-voting: only with --join (a founding member is made non-voting with ",true" in --members)');
  const c = config(['--port', '9003', '--join', '--non-voting', '--members', 'localhost:9001']);
  assert.is(c.nonVoting, true);
  assert.is(config([]).nonVoting, false);
});

test('--election-timeout: at least twice --heartbeat', () => {
  assert.is(flagError(['--heartbeat', '100ms', '--election-timeout', '199ms']), '--election-timeout: must be at least twice --heartbeat');
  assert.is(flagError(['--heartbeat', '1s']), '--election-timeout: must be at least twice --heartbeat');
  assert.is(config(['--heartbeat', '100ms', '--election-timeout', '200ms']).electionTimeoutMs, 200);
});

test('--log-level takes every documented level, silent included', () => {
  for (const level of ['debug', 'info', 'warn', 'error', 'silent']) assert.is(config(['--log-level', level]).logLevel, level);
  assert.is(flagError(['--log-level', 'trace']), '--log-level: expected one of debug, info, warn, error, silent, got "trace"');
});

test('two of the three TLS flags: the message names the missing one, before any file is read', () => {
  const message = flagError(['--peer-cert-file', '/nonexistent/c.pem', '--peer-key-file', '/nonexistent/k.pem']);
  assert.is(message, '--peer-trusted-ca-file: needed with --peer-cert-file (mutual TLS takes all three of --peer-cert-file, --peer-key-file, --peer-trusted-ca-file)');
});

test.run();
