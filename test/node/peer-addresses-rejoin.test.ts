// From a mutation review of src/peer-addresses.ts: a member that left and came back is a member
// again, never forgotten as a silent outsider; and this node's own address is never forgotten, even
// after this node left the configuration.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerAddresses } from '../../src/peer-addresses.js';

const FORGET_MS = 1000;
const never = (): boolean => false;

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
