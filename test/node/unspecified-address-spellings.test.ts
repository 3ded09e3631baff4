// checkAddress refuses the unspecified address, which a server may listen on but peers cannot
// dial, in every spelling. Found by a mutation review of src/members.ts: "::" written with an
// embedded IPv4 part ("[::0.0.0.0]", "[0:0::0.0.0.0]") was accepted, as a member address and as
// raft-node's --host, because the check matched only hosts of zeros and colons; so were "0",
// "0x0" and "00.0.0.0", which the resolver reads as 0.0.0.0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAddress, parseMembers } from '../../src/members.js';

test('checkAddress refuses the IPv6 unspecified address however it is written', () => {
  for (const address of ['[::]:9001', '[0:0:0:0:0:0:0:0]:9001', '[::0.0.0.0]:9001', '[0:0::0.0.0.0]:9001', '[::ffff:0.0.0.0]:9001']) {
    assert.throws(() => checkAddress(address), /is the unspecified address/, address);
  }
});

test('checkAddress refuses the IPv4 unspecified address however it is written', () => {
  for (const address of ['0.0.0.0:9001', '0:9001', '0x0:9001', '00.0.0.0:9001', '0.0:9001']) {
    assert.throws(() => checkAddress(address), /is the unspecified address/, address);
  }
});

test('reachable addresses that look alike are still accepted', () => {
  for (const address of ['[::1]:9001', '[::ffff:127.0.0.1]:9001', '127.0.0.1:9001', '10.0.0.1:9001', 'node0:9001', 'localhost:9001', '0.example:9001']) {
    assert.is(checkAddress(address), address);
  }
  assert.throws(() => parseMembers('127.0.0.1:9001;[::0.0.0.0]:9002'), /\[::0\.0\.0\.0\] is the unspecified address/, 'in a member list too');
});

test.run();
