// Node.create checks every option at once and names the bad one and its value: wrong kinds,
// numbers out of range (NaN, negative, 0 where a time is needed), unknown keys, and combinations
// that cannot work. Without members a node founds a one-member cluster of itself, as raft-node does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node, type NodeOptions } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { Kv, SetCommand } from '../support/node-cluster.js';

const network = new MemoryNetwork();
let root = '';
const transport = (address = 'n1:9001') => new MemoryTransport(network, { address, logger: { info() {}, warn() {} } });

function base(extra: Record<string, unknown> = {}): NodeOptions<Kv> {
  return { port: 9001, dataDir: join(root, 'unused'), context: new Kv(), ...extra } as NodeOptions<Kv>;
}

async function refused(extra: Record<string, unknown>, type: typeof TypeError | typeof RangeError, ...fragments: string[]): Promise<void> {
  try {
    await Node.create(base(extra));
  } catch (error) {
    assert.instance(error, type, `${JSON.stringify(extra)}: ${(error as Error).message}`);
    for (const f of fragments) assert.match((error as Error).message, f, `${JSON.stringify(extra)}: ${(error as Error).message}`);
    return;
  }
  assert.unreachable(`Node.create accepted ${JSON.stringify(extra)}`);
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsraft-options-'));
});

test('times: NaN, negative, zero, fractional and beyond a timer\'s range are refused, naming the option and value', async () => {
  await refused({ heartbeatMs: NaN }, RangeError, 'heartbeatMs', 'NaN');
  await refused({ heartbeatMs: -5 }, RangeError, 'heartbeatMs', '-5');
  await refused({ heartbeatMs: 0 }, RangeError, 'heartbeatMs', 'got 0');
  await refused({ heartbeatMs: 2.5 }, RangeError, 'heartbeatMs', '2.5');
  await refused({ heartbeatMs: '100' }, TypeError, 'heartbeatMs', '"100"');
  await refused({ electionTimeoutMs: Infinity }, RangeError, 'electionTimeoutMs', 'Infinity');
  await refused({ heartbeatMs: 100, electionTimeoutMs: 150 }, RangeError, 'electionTimeoutMs (150) must be at least twice heartbeatMs (100)');
  await refused({ requestTimeoutMs: 0 }, RangeError, 'requestTimeoutMs', 'got 0');
  await refused({ requestTimeoutMs: 2 ** 31 }, RangeError, 'requestTimeoutMs', String(2 ** 31));
  await refused({ leaderWaitMs: -1 }, RangeError, 'leaderWaitMs', 'got -1');
  await refused({ leaderWaitMs: '2s' }, TypeError, 'leaderWaitMs', '"2s"');
});

test('sizes and counts: out of range or not integers are refused', async () => {
  await refused({ port: 0 }, RangeError, 'port', 'got 0');
  await refused({ port: 70000 }, RangeError, 'port');
  await refused({ maxInflight: 0 }, RangeError, 'maxInflight');
  await refused({ maxEntriesPerMessage: -1 }, RangeError, 'maxEntriesPerMessage');
  await refused({ maxBytesPerMessage: 1e12 }, RangeError, 'maxBytesPerMessage');
  await refused({ snapshotChunkBytes: 0 }, RangeError, 'snapshotChunkBytes');
  await refused({ cacheBytes: -1 }, RangeError, 'cacheBytes');
  await refused({ walSegmentBytes: 100 }, RangeError, 'walSegmentBytes', 'from 256');
  await refused({ snapshotTrailingEntries: 1.5 }, RangeError, 'snapshotTrailingEntries');
  await refused({ snapshotEntryThreshold: NaN }, RangeError, 'snapshotEntryThreshold');
  await refused({ snapshotsKept: 0 }, RangeError, 'snapshotsKept', 'from 1');
  await refused({ leaseDriftMargin: 1 }, RangeError, 'leaseDriftMargin', 'got 1');
  await refused({ leaseDriftMargin: -0.1 }, RangeError, 'leaseDriftMargin');
});

test('enums, kinds and unknown keys are refused', async () => {
  await refused({ sync: 'bogus' }, TypeError, 'sync', "'always', 'none'", '"bogus"');
  await refused({ logLevel: 'loud' }, TypeError, 'logLevel', '"loud"');
  await refused({ walPreallocate: 'no' }, TypeError, 'walPreallocate');
  await refused({ join: 1 }, TypeError, 'join');
  await refused({ dataDir: '' }, TypeError, 'dataDir');
  await refused({ host: 'bad host' }, TypeError, 'host', '"bad host"');
  await refused({ clusterId: '' }, TypeError, 'clusterId');
  // One a peer refuses in the handshake started a cluster that never elected a leader (a README check).
  await refused({ clusterId: 'c'.repeat(513) }, RangeError, 'clusterId', 'longer than the 512 characters a peer accepts (513)');
  await refused({ clusterId: 'my\tcluster' }, RangeError, 'clusterId', 'control character');
  await refused({ clusterId: 'ab\ud800cd' }, RangeError, 'clusterId', 'lone UTF-16 surrogate');
  await Node.create(base({ clusterId: 'emoji \u{1f600}' })); // a surrogate pair is fine
  await refused({ logger: 'console' }, TypeError, 'logger');
  await refused({ codec: {} }, TypeError, 'codec', 'encode, decode');
  await refused({ metricsLabels: { 'bad-name': 'x' } }, TypeError, 'metricsLabels', '"bad-name"');
  // prom-client would let it replace the label of the node's own series (to="<peer>", ...).
  for (const name of ['to', 'from', 'side', 'le', 'route']) await refused({ metricsLabels: { [name]: 'x' } }, TypeError, 'metricsLabels', `"${name}"`, "the node's own metrics use");
  await refused({ tls: { cert: 'c', key: 'k' } }, TypeError, 'tls.ca');
  await refused({ transport: transport(), tls: { cert: 'c', key: 'k', ca: 'a' } }, TypeError, 'tls applies to the default gRPC transport only');
  await refused({ heartbeat: 100 }, TypeError, 'unknown option heartbeat');
  await refused({ heartbeat: 100, electionTimeout: 1 }, TypeError, 'unknown options heartbeat, electionTimeout');
});

test('combinations: nonVoting without join, join without other members, members without this node or without voters', async () => {
  await refused({ nonVoting: true }, TypeError, 'nonVoting applies only with join');
  await refused({ join: true }, TypeError, 'join needs members');
  await refused({ join: true, members: 'localhost:9001' }, TypeError, 'join needs members', 'other than this node');
  await refused({ members: '' }, TypeError, 'members is empty');
  await refused({ members: [] }, TypeError, 'members is empty');
  await refused({ members: 'a:1;b:2' }, TypeError, 'do not include this node (localhost:9001)');
  await refused({ members: 'localhost:9001,true' }, TypeError, 'no voting member');
  await refused({ members: 'localhost:9001;garbage' }, TypeError, 'members: bad member address "garbage"');
  // Listening addresses nobody can dial (QA: 0.0.0.0:p was added as a member stuck "promoting").
  await refused({ members: 'localhost:9001;0.0.0.0:9002' }, TypeError, '0.0.0.0 is the unspecified address');
  await refused({ members: 'localhost:9001;[::]:9002' }, TypeError, '[::] is the unspecified address');
  await refused({ members: 'localhost:9001;[1.2.3.4]:9002' }, TypeError, '[1.2.3.4] is not an IPv6 address');
  await refused({ members: 42 }, TypeError, 'members must be');
});

test('valid options pass, undefined means the default, and setLogLevel refuses what the option refuses', async () => {
  const node = await Node.create(base({ heartbeatMs: undefined, members: 'localhost:9001;b:2', join: false, logLevel: 'warn' }));
  assert.throws(() => node.setLogLevel('loud' as 'info'), (e: Error) => e instanceof TypeError && e.message.includes('"loud"'));
  assert.throws(() => node.setLogLevel('toString' as 'info'), TypeError);
  node.setLogLevel('debug');
  await Node.create(base({ join: true, nonVoting: true, members: 'b:2' }));
});

test('without members a node founds a one-member cluster of itself (as raft-node does) and says so', async () => {
  const lines: string[] = [];
  const kv = new Kv();
  const node = await Node.create<Kv>({
    port: 9001,
    dataDir: join(root, 'alone'),
    context: kv,
    heartbeatMs: 20,
    electionTimeoutMs: 200,
    sync: 'none',
    transport: transport(),
    logger: (level, line) => lines.push(`${level} ${line}`),
  });
  node.registerCommand(SetCommand);
  await node.start();
  try {
    const deadline = Date.now() + 5000;
    while (!node.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(node.isLeader(), 'it elects itself');
    assert.equal(node.members(), [{ address: 'n1:9001', nonVoting: false, match: node.status().lastIndex }]);
    await node.do(new SetCommand('k', 'v'));
    assert.ok(lines.some((l) => l.includes('founded a new cluster of n1:9001 (no members given: this node alone)')), lines.join('\n'));
  } finally {
    await node.stop();
  }
});

test.after(async () => {
  network.close();
  await rm(root, { recursive: true, force: true });
});

test('with a transport of the caller\'s, port may be left out: the transport\'s address names the node; without one, port is required', async () => {
  const dataDir = join(root, 'custom-transport');
  const node = await Node.create<Kv>({ dataDir, context: new Kv(), members: 'n7:9007', transport: transport('n7:9007'), heartbeatMs: 20, electionTimeoutMs: 200, sync: 'none', logLevel: 'silent' });
  node.registerCommand(SetCommand);
  await node.start();
  try {
    assert.is(node.address, 'n7:9007');
    await node.admitted();
    await node.do(new SetCommand('a', '1'));
    assert.is(node.context.data.get('a'), '1');
  } finally {
    await node.stop();
  }
  await refused({ port: undefined }, TypeError, 'port');
});

test.run();
