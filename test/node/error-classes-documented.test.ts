// Every error class the library exports is a RaftError or one of the few the README names as not
// being one, and the README's error paragraph names every one of them (a newcomer review found
// CommandTooLargeError, a RangeError, missing from a list said to be "all RaftErrors").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as api from '../../src/index.js';

const NOT_RAFT_ERRORS = ['CommandTooLargeError', 'CodecError', 'CommandThrewError', 'DirectoryLockedError'];
const errorClasses = Object.entries(api).filter(([name, value]) => typeof value === 'function' && name.endsWith('Error'));

test('every exported error class is a RaftError but the four the README names', () => {
  const notRaft = errorClasses.filter(([name, value]) => name !== 'RaftError' && !((value as { prototype: unknown }).prototype instanceof api.RaftError)).map(([name]) => name);
  assert.equal(notRaft.sort(), [...NOT_RAFT_ERRORS].sort());
});

test('the README\'s paragraph on errors names every exported error class', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('Errors are typed.');
  assert.ok(start >= 0, 'the paragraph is there');
  const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
  const missing = errorClasses.map(([name]) => name).filter((name) => name !== 'RaftError' && !paragraph.includes(`\`${name}\``));
  assert.equal(missing, []);
  for (const name of NOT_RAFT_ERRORS) assert.ok(paragraph.slice(paragraph.indexOf('not `RaftError`s')).includes(`\`${name}\``), `${name} is named among those that are not RaftErrors`);
});

test.run();
