// raft-node's command line (cmd/flags.ts): flags that parseFlags accepted although they were
// ambiguous, or that only failed later in the library with its option names and exit status 1.
// The README promises: "An unknown, malformed or inconsistent flag exits with status 2 and a
// message naming it, before anything is written to disk".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withOverrides } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

test('a flag given twice is refused, naming it (node:util parseArgs keeps the last value silently)', () => {
  // `--port 9001 ... --port 9002`: which port did the operator mean? The node silently takes 9002.
  assert.match(flagError(['--port', '9001', '--port', '9002']), /^--port/);
  // Two --members flags: the first list is dropped without a word, so a cluster founded from
  // "--members a --members b" has one member, not two.
  assert.match(flagError(['--port', '9002', '--members', 'localhost:9001', '--members', 'localhost:9002']), /^--members/);
  // `npm start -- --path X` appends to flags start-cluster.mjs already gives: every node would
  // get the same --path.
  assert.match(flagError(['--path', 'data/a', '--path', 'data/b']), /^--path/);
});

test('--join with no member to ask (an empty list, ";", or only this node) is a flag error naming --members, not "cannot start: join needs members ..." with status 1', () => {
  // Today: parseFlags accepts these and Node.create throws a TypeError naming the library's
  // `join`/`members` options; raft-node prints "cannot start: ..." and exits 1.
  for (const members of ['', ';', ' ; ', 'localhost:9001']) {
    assert.match(flagError(['--port', '9001', '--join', '--members', members]), /^--members/, JSON.stringify(members));
  }
});

test('withOverrides: the defaults a program starts raft-node with give way to the flags given after them', () => {
  const base = ['--host', 'h', '--sync', 'always', '--join', '--log-level', 'warn', '--path=/a'];
  assert.equal(withOverrides(base, ['--sync', 'none', '--path', '/b']), ['--host', 'h', '--join', '--log-level', 'warn', '--sync', 'none', '--path', '/b']);
  assert.equal(withOverrides(base, ['--join']), ['--host', 'h', '--sync', 'always', '--log-level', 'warn', '--path=/a', '--join']);
  assert.equal(withOverrides(base, []), base);
});

test.run();
