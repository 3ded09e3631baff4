// From a mutation review of src/address-aliases.ts: two names are one endpoint only when they
// share the port as well as an IP address; members of one host on different ports are not aliases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findAlias } from '../../src/address-aliases.js';

test('findAlias: names of one IP address on different ports are not aliases (a cluster on one host)', async () => {
  // Every address here shares its port with another, so all are resolved; the only common IP
  // addresses are across ports.
  assert.is(await findAlias(['localhost:9001', '127.0.0.2:9001', '127.0.0.1:9002', '127.0.0.2:9002']), undefined);
  assert.is(await findAlias(['127.0.0.1:9002'], ['localhost:9001', '127.0.0.2:9002', '127.0.0.3:9001']), undefined);
  // The same name on a shared port still is.
  assert.equal(await findAlias(['127.0.0.1:9001'], ['localhost:9001', '127.0.0.2:9002']), { address: '127.0.0.1:9001', sameAs: 'localhost:9001', ip: '127.0.0.1' });
});

test.run();
