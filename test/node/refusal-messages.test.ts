// Refusals say what happened in words and name members by address, never by the core's numeric
// ids: removing a non-member, a transfer to a non-voter or to garbage, a second membership change
// while one is in flight — on the leader and through a follower that forwards to it; a forwarded
// request the leader never answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeadershipTransferError, MembershipChangeError, TimeoutError } from '../../src/index.js';
import type { Node } from '../../src/node.js';
import { SetCommand, TestCluster, interceptReceive, type Kv, type SeenMessage } from '../support/node-cluster.js';

let c: TestCluster;
let leader: Node<Kv>;
let follower: Node<Kv>;

async function message(promise: Promise<unknown>, type: new (...args: never[]) => Error): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, type, `${(error as Error).name}: ${(error as Error).message}`);
    const text = (error as Error).message;
    assert.not.match(text, /\d{6,}/, `a numeric member id in: ${text}`);
    return text;
  }
  assert.unreachable('expected a rejection');
  return '';
}

test.before(async () => {
  c = new TestCluster(3);
  await c.startAll();
  leader = await c.waitLeader();
  follower = c.node(c.addresses.find((a) => a !== leader.address)!);
});

test('removing a member that is not in the cluster names its address', async () => {
  for (const node of [leader, follower]) {
    assert.is(await message(node.leave('n9:9009'), MembershipChangeError), 'n9:9009 is not a member of the cluster');
  }
});

test('adding a member that is already in the cluster names its address', async () => {
  for (const node of [leader, follower]) {
    assert.is(await message(node.join({ address: c.addresses[2]! }), MembershipChangeError), `${c.addresses[2]} is already a member of the cluster (to change whether it votes, remove it and add it again)`);
  }
});

test('a leadership transfer to a non-member names it; a malformed address is a TypeError', async () => {
  for (const node of [leader, follower]) {
    assert.is(await message(node.transferLeadership('n9:9009'), LeadershipTransferError), 'n9:9009 is not a voting member of the cluster');
    assert.match(await message(node.transferLeadership('garbage'), TypeError), 'bad member address "garbage"');
  }
});

test('a second membership change while one is in flight: "another membership change is in progress"', async () => {
  for (const [node, address] of [
    [leader, 'n7:9007'],
    [follower, 'n8:9008'],
  ] as const) {
    const first = node.join({ address, nonVoting: true });
    const second = node.join({ address: 'n6:9006', nonVoting: true });
    assert.is(await message(second, MembershipChangeError), 'another membership change is in progress; retry when it completes');
    await first;
    await node.leave(address);
  }
});

test('a forwarded request the leader never answers: "did not answer within N ms", N whole (it printed 4545.711686000001)', async () => {
  const inner = follower as unknown as { receive: (from: string, messages: SeenMessage[]) => void };
  const receive = inner.receive;
  interceptReceive(follower, (from, messages, deliver) => deliver(from, messages.filter((m) => m.type !== 'forwardResp')));
  try {
    const text = await message(follower.do(new SetCommand('unanswered', 'v')), TimeoutError);
    assert.match(text, /did not answer within \d+ ms; outcome unknown/);
  } finally {
    inner.receive = receive;
  }
});

test('a forwarded proposal that waited its turn to be sent says its wait was what was left of the request\'s time (it said only "within 85 ms")', async () => {
  const inner = follower as unknown as { receive: (from: string, messages: SeenMessage[]) => void };
  const receive = inner.receive;
  interceptReceive(follower, (from, messages, deliver) => deliver(from, messages.filter((m) => m.type !== 'forwardResp')));
  try {
    // 3 MiB each: the second waits until the first, unanswered, frees the 4 MiB of forwards in flight.
    const value = 'v'.repeat(3 * 1024 * 1024);
    const first = message(follower.do(new SetCommand('first', value)), TimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = message(follower.do(new SetCommand('second', value)), TimeoutError);
    assert.match(await first, /did not answer within \d+ ms; outcome unknown/);
    const text = await second;
    assert.match(text, /did not answer within \d+ ms \(what was left of the request's 3000 ms when it was sent\); outcome unknown/);
    const waited = Number(/within (\d+) ms/.exec(text)![1]);
    assert.ok(waited < 2500, `it waited ${waited} ms for the answer, the rest after its turn`);
  } finally {
    inner.receive = receive;
  }
});

test.after(async () => {
  await c.close();
});

test.run();
