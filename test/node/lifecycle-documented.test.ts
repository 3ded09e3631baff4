// README audit (API table): `Node.create` "opens nothing yet"; `start()`/`stop()` "a second
// `stop()` resolves with the first"; setSnapshot "`stop()` waits for a save in progress";
// `ready()` "a leader is known and everything committed is applied"; `setSnapshot` "without them
// the node never snapshots and keeps its whole log" (and `snapshot()` is refused).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { MemoryNetwork, MemoryTransport } from '../../src/transport/memory.js';
import { EverySecond } from '../../src/snapshot/index.js';
import { createServer } from 'node:net';
import { Kv, SetCommand, TestCluster, freePort, oneMemberNode, slowSave, waitUntil, withSaveHeld } from '../support/node-cluster.js';

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

test('Node.create opens nothing: no data directory is made and the peer port stays free', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  try {
    const port = await freePort();
    const dataDir = join(root, 'not-yet');
    const node = await Node.create<Kv>({ host: '127.0.0.1', port, dataDir, context: new Kv(), logLevel: 'silent' });
    assert.ok(node.address.endsWith(`:${port}`));
    assert.not.ok(await exists(dataDir), 'the data directory was made');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('stop() waits for a save in progress: the directory stays locked until the save ends', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const c = new TestCluster(1, { logLevel: 'silent' });
  let held = { saving: () => false };
  c.configure = (n) => void (held = slowSave(n, gate));
  try {
    await c.startAll();
    const node = await c.waitLeader();
    await node.do(new SetCommand('a', '1'));
    const snap = node.snapshot();
    await waitUntil('the save to start', () => held.saving(), 3000);
    let stopped = false;
    const stopping = node.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.not.ok(stopped, 'stop() resolved while the save ran');
    assert.ok(await exists(join(c.root, c.addresses[0]!.replace(':', '-'), 'LOCK')), 'the directory is still held');
    release();
    await stopping;
    assert.ok((await snap) >= 1, 'the snapshot was taken');
  } finally {
    release();
    await c.close();
  }
});

test('a second stop() resolves only once the node has stopped: the directory is released when either resolves', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  const network = new MemoryNetwork();
  try {
    const dataDir = join(root, 'data');
    const node = await oneMemberNode(network, 'ra1:9101', dataDir);
    await node.start();
    await waitUntil('a leader', () => node.isLeader());
    await node.do(new SetCommand('k', 'v'));
    const first = node.stop();
    const second = node.stop();
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await second;
    await Promise.resolve();
    assert.ok(firstDone, 'the second stop() resolved before the first');
    assert.not.ok(await exists(join(dataDir, 'LOCK')), 'the directory is released once the second stop() resolves');
    await node.stop(); // a third, after it stopped, resolves too
    const next = await oneMemberNode(network, 'ra1:9101', dataDir);
    await next.start();
    await next.stop();
  } finally {
    network.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('ready(): false before a leader is known, true once everything committed is applied, false while committed entries wait behind a save', async () => {
  await withSaveHeld({}, async (node, _c, release) => {
    assert.ok(node.ready(), 'a leader that applied everything committed');
    const snap = node.snapshot(); // its save is held: committed entries wait to apply
    const write = node.do(new SetCommand('b', '2'));
    await waitUntil('b to commit', () => node.status().commitIndex > node.status().appliedIndex, 3000);
    assert.not.ok(node.ready(), 'committed but not applied');
    release();
    await write;
    await snap;
    assert.ok(node.ready(), 'applied again');
  });
  // Before an election: no leader known.
  const c = new TestCluster(3, { logLevel: 'silent' });
  try {
    const lone = await c.start(c.addresses[0]!);
    assert.not.ok(lone.ready(), 'no leader known');
  } finally {
    await c.close();
  }
});

test('without setSnapshot: snapshot() is refused, and neither the policy nor snapshotEntryThreshold takes one: the whole log is kept', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  const network = new MemoryNetwork();
  try {
    const kv = new Kv();
    const node = await Node.create<Kv>({
      port: 9201,
      dataDir: join(root, 'data'),
      context: kv,
      members: 'ra2:9201',
      heartbeatMs: 20,
      electionTimeoutMs: 200,
      sync: 'none',
      logLevel: 'silent',
      snapshotEntryThreshold: 3,
      snapshotTrailingEntries: 0,
      transport: new MemoryTransport(network, { address: 'ra2:9201', logger: { info() {}, warn() {} } }),
    });
    node.registerCommand(SetCommand);
    node.setSnapshotPolicy(EverySecond);
    await node.start();
    try {
      await waitUntil('a leader', () => node.isLeader());
      for (let i = 0; i < 20; i++) await node.do(new SetCommand('k', `${i}`));
      await new Promise((r) => setTimeout(r, 1300)); // EverySecond is due by now
      const err = await node.snapshot().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Error && /setSnapshot/.test(err.message), String(err));
      const s = node.status();
      assert.is(s.snapshotIndex, 0);
      assert.is(s.firstIndex, 1, 'the whole log is kept');
      assert.is(kv.data.get('k'), '19');
    } finally {
      await node.stop();
    }
  } finally {
    network.close();
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
