// Two names for one endpoint ("localhost:p" beside "127.0.0.1:p") would be two members to the core,
// one of them a phantom that never answers: join() and a founding member list refuse them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAlias, findAlias } from '../../src/address-aliases.js';
import { LeadershipTransferError, MembershipChangeError } from '../../src/errors.js';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand, TestCluster } from '../support/node-cluster.js';

test('findAlias: a name and an IP address on the same port are one endpoint', async () => {
  const alias = await findAlias(['localhost:9001'], ['127.0.0.1:9001', '127.0.0.1:9002']);
  assert.ok(alias);
  assert.equal(alias, { address: 'localhost:9001', sameAs: '127.0.0.1:9001', ip: '127.0.0.1' });
  assert.is(describeAlias(alias), 'localhost:9001 and 127.0.0.1:9001 name the same endpoint (127.0.0.1:9001)');
});

test('findAlias: other ports, other IP addresses, the same string and unresolvable names are not aliases', async () => {
  assert.is(await findAlias(['localhost:9003'], ['127.0.0.1:9001', '127.0.0.1:9002']), undefined);
  assert.is(await findAlias(['127.0.0.2:9001'], ['127.0.0.1:9001']), undefined);
  assert.is(await findAlias(['127.0.0.1:9001'], ['127.0.0.1:9001']), undefined);
  assert.is(await findAlias(['no-such-host.invalid:9001'], ['127.0.0.1:9001']), undefined);
  assert.is(await findAlias(['[::1]:9001'], ['[::2]:9001']), undefined);
});

test('findAlias: IP addresses are compared in one spelling (IPv6 zeros, IPv4-mapped IPv6)', async () => {
  assert.equal(await findAlias(['[0:0:0:0:0:0:0:1]:9001'], ['[::1]:9001']), { address: '[0:0:0:0:0:0:0:1]:9001', sameAs: '[::1]:9001', ip: '::1' });
  assert.equal(await findAlias(['[::FFFF:127.0.0.1]:9001'], ['127.0.0.1:9001']), { address: '[::FFFF:127.0.0.1]:9001', sameAs: '127.0.0.1:9001', ip: '127.0.0.1' });
  assert.is(describeAlias({ address: '[::2]:1', sameAs: 'h:1', ip: '::2' }), '[::2]:1 and h:1 name the same endpoint ([::2]:1)');
});

test('findAlias: within one list, the later of two names for one endpoint is reported', async () => {
  const alias = await findAlias(['127.0.0.1:9001', '127.0.0.1:9002', 'localhost:9001']);
  assert.equal(alias, { address: 'localhost:9001', sameAs: '127.0.0.1:9001', ip: '127.0.0.1' });
  assert.is(await findAlias(['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9001']), undefined, 'a repeat is not an alias');
});

test('findAlias: a host name in other letters or with a trailing dot is one endpoint, resolved or not (found in review)', async () => {
  assert.equal(await findAlias(['NODE-X.invalid:7102'], ['node-x.invalid:7102']), { address: 'NODE-X.invalid:7102', sameAs: 'node-x.invalid:7102', ip: 'node-x.invalid' });
  assert.ok(await findAlias(['n1.:9001'], ['n1:9001']));
  assert.is(describeAlias({ address: 'N1:9001', sameAs: 'n1:9001', ip: 'n1' }), 'N1:9001 and n1:9001 name the same endpoint (n1:9001)');
  assert.is(await findAlias(['n1:9002'], ['N1:9001']), undefined, 'another port');
});

test('join() of a member in other letters, or with a zero-padded port, is refused; the membership is unchanged (found in review: each added a second member, promoting for ever)', async () => {
  const c = new TestCluster(3, { logLevel: 'error' }); // n1:9001, n2:9002, n3:9003: names that do not resolve
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const member = c.addresses.find((a) => a !== leader.address)!;
    const upper = member.toUpperCase();
    const upperErr = await leader.join({ address: upper }).catch((e: Error) => e);
    assert.ok(upperErr instanceof MembershipChangeError, String(upperErr));
    assert.match(upperErr.message, `${upper} and ${member} name the same endpoint`);
    const padded = member.replace(':', ':0');
    const paddedErr = await leader.join({ address: padded }).catch((e: Error) => e);
    assert.instance(paddedErr, Error);
    assert.match(String(paddedErr), 'the port has a leading zero');
    assert.is(leader.members().length, 3);
    await leader.do(new SetCommand('still', 'serving'));
  } finally {
    await c.close();
  }
});

test('join() of another name for a member is refused with MembershipChangeError; the membership is unchanged', async () => {
  // The memory transport binds nothing: loopback addresses serve as names only.
  const c = new TestCluster(3, { logLevel: 'error' }, 'memory', ['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103']);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const member = c.addresses.find((a) => a !== leader.address)!;
    const other = `localhost:${member.split(':')[1]}`;
    for (const asker of c.nodes.values()) {
      const err = await asker.join({ address: other }).catch((e: Error) => e);
      assert.ok(err instanceof MembershipChangeError, String(err));
      assert.is(err.message, `${other} and ${member} name the same endpoint (${member}): ${member} is already a member (a member is known by one address)`);
    }
    assert.is(leader.members().length, 3);
    await leader.do(new SetCommand('b', '2')); // still serving
  } finally {
    await c.close();
  }
});

test('leave() and transferLeadership() of another name for a member say which member it names', async () => {
  const c = new TestCluster(3, { logLevel: 'error' }, 'memory', ['127.0.0.1:7301', '127.0.0.1:7302', '127.0.0.1:7303']);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const member = c.addresses.find((a) => a !== leader.address)!;
    const other = `localhost:${member.split(':')[1]}`;
    const hint = `; ${other} and ${member} name the same endpoint (${member}): the member is known as ${member}`;
    for (const asker of c.nodes.values()) {
      const left = await asker.leave(other).catch((e: Error) => e);
      assert.ok(left instanceof MembershipChangeError, String(left));
      assert.is(left.message, `${other} is not a member of the cluster${hint}`);
      const moved = await asker.transferLeadership(other).catch((e: Error) => e);
      assert.ok(moved instanceof LeadershipTransferError, String(moved));
      assert.is(moved.message, `${other} is not a voting member of the cluster${hint}`);
    }
    // A name that is no member at all gets no hint.
    const plain = (await leader.leave('127.0.0.1:7399').catch((e: Error) => e)) as Error;
    assert.is(plain.message, '127.0.0.1:7399 is not a member of the cluster');
    assert.is(leader.members().length, 3);
  } finally {
    await c.close();
  }
});

test('a node started with --join under another name for a member is refused by the leader: it warns and is not added', async () => {
  const c = new TestCluster(3, { logLevel: 'error' }, 'memory', ['127.0.0.1:7201', '127.0.0.1:7202', '127.0.0.1:7203']);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('a', '1'));
    const lines: string[] = [];
    // It lists only the first member, so its own start() cannot see the other name.
    const joiner = await c.start('localhost:7202', { join: true, members: '127.0.0.1:7201', logLevel: 'warn', logger: (_l, line) => lines.push(line) });
    await c.waitFor(() => lines.some((l) => l.includes('join refused')), 5000, 'the refusal');
    assert.match(lines.find((l) => l.includes('join refused'))!, 'join refused: localhost:7202 and 127.0.0.1:7202 name the same endpoint (127.0.0.1:7202): 127.0.0.1:7202 is already a member');
    assert.is(leader.members().length, 3);
    assert.not.ok(joiner.members().some((m) => m.address === 'localhost:7202'));
  } finally {
    await c.close();
  }
});

test('start() refuses a member list that names one endpoint twice, before touching the data directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tsraft-alias-'));
  const network = new MemoryNetwork();
  try {
    const cases: [string, string, RegExp][] = [
      ['127.0.0.1:7001', '127.0.0.1:7001;localhost:7001;127.0.0.1:7002', /members: localhost:7001 and 127.0.0.1:7001 name the same endpoint \(127.0.0.1:7001\); give this node the address the other members know it by/],
      ['127.0.0.1:7001', '127.0.0.1:7001;127.0.0.1:7002;localhost:7002', /members: localhost:7002 and 127.0.0.1:7002 name the same endpoint \(127.0.0.1:7002\); list each member once, by one address/],
    ];
    for (const [address, members, message] of cases) {
      const dataDir = join(root, 'n');
      const node = await Node.create<Kv>({
        host: address.split(':')[0],
        port: Number(address.split(':')[1]),
        dataDir,
        context: new Kv(),
        members,
        logLevel: 'silent',
        transport: new MemoryTransport(network, { address, logger: { info() {}, warn() {} } }),
      });
      const err = await node.start().catch((e: Error) => e);
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, message);
      assert.is(node.state, 'follower');
      assert.not.ok(existsSync(dataDir), 'nothing was created');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
