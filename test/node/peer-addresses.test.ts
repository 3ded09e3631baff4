// PeerAddresses: whom a node sends to, and when it forgets a peer outside the configuration.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerAddresses } from '../../src/peer-addresses.js';

const FORGET_MS = 1000;

function book(): { a: PeerAddresses; clock: { now: number } } {
  const clock = { now: 0 };
  const a = new PeerAddresses(1, 'n1:1', FORGET_MS, () => clock.now);
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 2, context: 'n2:2' },
    { id: 3, context: 'n3:3' },
  ]);
  return { a, clock };
}

const never = (): boolean => false;

test('members are never forgotten, however long they are silent; our own address is not a peer', () => {
  const { a, clock } = book();
  clock.now = 100 * FORGET_MS;
  assert.equal(a.forgetSilent(never), []);
  assert.equal(a.peerAddresses().sort(), ['n2:2', 'n3:3']);
  assert.equal(a.peerIds().sort(), [2, 3]);
});

test('a member that left the configuration is forgotten once silent for the whole delay after leaving', () => {
  const { a, clock } = book();
  clock.now = 5000;
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 2, context: 'n2:2' },
  ]);
  assert.is(a.get(3), 'n3:3', 'still known right after its removal');
  clock.now = 5000 + FORGET_MS - 1;
  assert.equal(a.forgetSilent(never), []);
  clock.now = 5000 + FORGET_MS;
  assert.equal(a.forgetSilent(never), ['n3:3']);
  assert.not.ok(a.has(3));
  assert.equal(a.peerAddresses(), ['n2:2']);
});

test('an outsider that keeps talking is kept; a message from an unknown node makes it known', () => {
  const { a, clock } = book();
  assert.is(a.heardFrom(9, 'n9:9'), true, 'new address');
  assert.is(a.heardFrom(9, 'n9:9'), false);
  for (let t = 0; t <= 5 * FORGET_MS; t += FORGET_MS / 2) {
    clock.now = t;
    a.heardFrom(9, 'n9:9');
    assert.equal(a.forgetSilent(never), []);
  }
  clock.now += FORGET_MS;
  assert.equal(a.forgetSilent(never), ['n9:9']);
  assert.is(a.heardFrom(9, 'n9:9'), true, 'known again when it talks again');
});

test('forgetSilent spares the outsiders the caller keeps (the leader, a node a request waits on)', () => {
  const { a, clock } = book();
  a.heardFrom(9, 'n9:9');
  clock.now = 10 * FORGET_MS;
  assert.equal(a.forgetSilent((id) => id === 9), []);
  assert.equal(a.forgetSilent(never), ['n9:9']);
});

test('pinned addresses (listed members, a named leader) are kept until they join and leave', () => {
  const { a, clock } = book();
  a.pin(7, 'n7:7');
  clock.now = 10 * FORGET_MS;
  assert.equal(a.forgetSilent(never), []);
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 7, context: 'n7:7' },
  ]);
  a.setMembers([{ id: 1, context: 'n1:1' }]);
  clock.now = 20 * FORGET_MS;
  assert.equal(a.forgetSilent(never).sort(), ['n2:2', 'n3:3', 'n7:7']);
});

test('a member being added is known at once and forgotten if it never joins nor talks', () => {
  const { a, clock } = book();
  assert.is(a.expect(4, 'n4:4'), true, 'a new address');
  assert.is(a.expect(4, 'n4:4'), false);
  assert.is(a.expect(2, 'n2:2'), false, 'already a member');
  assert.is(a.get(4), 'n4:4');
  clock.now = FORGET_MS;
  assert.equal(a.forgetSilent(never), ['n4:4']);
  a.expect(5, 'n5:5');
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 5, context: 'n5:5' },
  ]);
  clock.now = 10 * FORGET_MS;
  assert.ok(a.has(5), 'a member now');
});

test('setMembers reports whether an address was added or changed', () => {
  const { a } = book();
  const same = [
    { id: 1, context: 'n1:1' },
    { id: 2, context: 'n2:2' },
    { id: 3, context: 'n3:3' },
  ];
  assert.is(a.setMembers(same), false);
  assert.is(a.setMembers([...same, { id: 4, context: 'n4:4' }]), true);
});

// From a mutation review: a member that left and came back is a member again, never forgotten as
// a silent outsider; this node's own address is never forgotten, even after it left the configuration.
test('a member that left and rejoined is not forgotten however long it is silent', () => {
  const { a, clock } = book();
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 2, context: 'n2:2' },
  ]);
  clock.now = 100;
  a.setMembers([
    { id: 1, context: 'n1:1' },
    { id: 2, context: 'n2:2' },
    { id: 3, context: 'n3:3' },
  ]);
  clock.now = 100 * FORGET_MS;
  assert.equal(a.forgetSilent(never), []);
  assert.is(a.get(3), 'n3:3');
  assert.equal(a.peerIds().sort(), [2, 3]);
});

test('this node removed from the configuration keeps its own address', () => {
  const { a, clock } = book();
  a.setMembers([
    { id: 2, context: 'n2:2' },
    { id: 3, context: 'n3:3' },
  ]);
  clock.now = 100 * FORGET_MS;
  assert.equal(a.forgetSilent(never), []);
  assert.is(a.get(1), 'n1:1');
});

test.run();
