// From a mutation review of src/members.ts: the member list syntax "h:p;h:p,true" at its edges:
// port range, the ",true"/",false" marker, the object form, and formatMembers reading back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAddress, formatMembers, parseMembers } from '../../src/members.js';

test('a member address needs a port from 1 to 65535', () => {
  assert.is(checkAddress('h:1'), 'h:1');
  assert.is(checkAddress('h:65535'), 'h:65535');
  for (const bad of ['h:0', 'h:65536', 'h:99999']) {
    assert.throws(() => checkAddress(bad), (err: Error) => err instanceof TypeError && err.message.startsWith(`bad member address ${JSON.stringify(bad)}: expected host:port with a port from 1 to 65535`), bad);
  }
});

test('a member address with a leading zero in its port is refused (found in review: "h:07102" was a second member at the port of "h:7102")', () => {
  for (const [bad, port] of [['h:07102', 7102], ['127.0.0.1:09001', 9001], ['[::1]:0080', 80]] as const) {
    assert.throws(() => checkAddress(bad), (err: Error) => err instanceof TypeError && err.message === `bad member address ${JSON.stringify(bad)}: the port has a leading zero; write it as ${port}`, bad);
  }
  assert.throws(() => parseMembers('h:9001;h:09001'), /leading zero/);
});

test('",false" marks a voting member, ",true" a non-voting one; anything after the marker is refused', () => {
  assert.equal(parseMembers('a:1,false;b:2,true;c:3'), [
    { address: 'a:1', nonVoting: false },
    { address: 'b:2', nonVoting: true },
    { address: 'c:3', nonVoting: false },
  ]);
  assert.throws(() => parseMembers('a:1,true,x'), /^bad member "a:1,true,x": expected host:port or host:port,true \(non-voting\), members separated by ";"$/);
  assert.throws(() => parseMembers('a:1,yes'), /^bad member "a:1,yes"/);
});

test('the object form keeps nonVoting', () => {
  assert.equal(parseMembers([{ address: 'a:1', nonVoting: true }, { address: 'b:2', nonVoting: false }, 'c:3,true']), [
    { address: 'a:1', nonVoting: true },
    { address: 'b:2', nonVoting: false },
    { address: 'c:3', nonVoting: true },
  ]);
});

test('blank items (a trailing ";" with spaces) are skipped', () => {
  assert.equal(parseMembers(' a:1 ; ;b:2,true; '), [
    { address: 'a:1', nonVoting: false },
    { address: 'b:2', nonVoting: true },
  ]);
});

test('formatMembers writes what parseMembers reads, ",true" included', () => {
  const members = [
    { address: 'a:1', nonVoting: false },
    { address: 'b:2', nonVoting: true },
  ];
  assert.is(formatMembers(members), 'a:1;b:2,true');
  assert.equal(parseMembers(formatMembers(members)), members);
});

test.run();
