// The cluster fingerprint over the real gRPC transport (src/cluster-fingerprint.ts): two clusters
// founded apart, with the same clusterId, never exchange a message, even when one lists a member of
// the other (its address given to join() by mistake); a joiner learns its cluster's fingerprint from
// the member it asks to join, never from a stranger; a founding member upgraded from a version
// without fingerprints computes it again from its log's first entry.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINGERPRINT_FILE } from '../../src/cluster-fingerprint.js';
import { PROTOCOL_VERSION, helloFrame } from '../../src/transport/frame.js';
import { openStream, sleep } from '../input/peer-client.js';
import { SetCommand, TestCluster, waitUntil } from '../support/node-cluster.js';

function fingerprintOf(c: TestCluster, address: string): string {
  return readFileSync(join(c.root, address.replace(':', '-'), FINGERPRINT_FILE), 'utf8').trim();
}

test('cluster fingerprint: founding members share one; two clusters founded apart differ, though their clusterId is the same', async () => {
  const a = await TestCluster.grpc(3);
  const b = await TestCluster.grpc(3);
  try {
    await a.startAll();
    await b.startAll();
    const ofA = a.addresses.map((x) => fingerprintOf(a, x));
    const ofB = b.addresses.map((x) => fingerprintOf(b, x));
    assert.ok(/^[0-9a-f]{16}$/.test(ofA[0]!));
    assert.equal(new Set(ofA).size, 1, 'one fingerprint across A');
    assert.equal(new Set(ofB).size, 1, 'one fingerprint across B');
    assert.is.not(ofA[0], ofB[0]);
    for (const x of a.addresses) assert.is(a.node(x).status().clusterFingerprint, ofA[0], 'status() shows the one kept');
  } finally {
    await b.close();
    await a.close();
  }
});

test("cluster fingerprint: a member of another cluster added by mistake refuses the other cluster's streams; neither cluster is disturbed", async () => {
  const lines: string[] = [];
  const a = await TestCluster.grpc(3, { logLevel: 'warn', logger: (_level, line) => lines.push(line) });
  const b = await TestCluster.grpc(3);
  try {
    await a.startAll();
    await b.startAll();
    const aLeader = await a.waitLeader();
    const bLeader = await b.waitLeader();
    const aTerm = aLeader.status().term;
    const stranger = a.addresses.find((x) => x !== aLeader.address)!;
    await bLeader.join({ address: stranger });
    await waitUntil('the refusal', () => lines.some((l) => l.includes('belongs to another cluster: its cluster fingerprint is')), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const c of [a, b]) for (const n of c.nodes.values()) assert.not.ok(n.isRemoved(), `${n.address} does not take itself for removed`);
    assert.is(aLeader.status().term, aTerm, "B's terms never reached A");
    assert.ok(aLeader.isLeader());
    await aLeader.do(new SetCommand('a', 'still'));
    await bLeader.do(new SetCommand('b', 'still'));
    const added = bLeader.members().find((m) => m.address === stranger);
    assert.ok(added?.nonVoting, 'in B, the stranger stays a learner that never caught up');
  } finally {
    await b.close();
    await a.close();
  }
});

test('cluster fingerprint: a joiner learns it from the member it asks to join, and keeps it', async () => {
  const c = await TestCluster.grpc(3);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const address = await c.newAddress();
    const joiner = await c.start(address, { join: true, members: c.addresses.join(';') });
    await joiner.admitted();
    await waitUntil('the joiner to keep the fingerprint', () => {
      try {
        return fingerprintOf(c, address) === fingerprintOf(c, leader.address);
      } catch {
        return false;
      }
    }, 5000);
    assert.is(joiner.status().clusterFingerprint, fingerprintOf(c, leader.address), 'status() shows the one learnt');
  } finally {
    await c.close();
  }
});

test('cluster fingerprint: a founding member without the file (upgraded) computes the same one from its first log entry', async () => {
  const c = await TestCluster.grpc(3);
  try {
    await c.startAll();
    const address = c.addresses[0]!;
    const before = fingerprintOf(c, address);
    await c.stop(address);
    rmSync(join(c.root, address.replace(':', '-'), FINGERPRINT_FILE));
    await c.start(address);
    assert.is(fingerprintOf(c, address), before);
  } finally {
    await c.close();
  }
});

// Found in review: a node that knew no fingerprint took the one of whatever dialed it first, kept
// it, and refused its own cluster for good (and a joiner meant for B, dialed first by A's leader,
// was admitted into A). It now learns only from a node it dials or a member of its configuration.

test("cluster fingerprint: a joiner whose address another cluster lists by mistake refuses that cluster's leader, learns nothing from it, and joins its own", async () => {
  const linesX: string[] = [];
  const a = await TestCluster.grpc(3);
  const b = await TestCluster.grpc(3);
  try {
    await a.startAll();
    await b.startAll();
    const aLeader = await a.waitLeader();
    const fpB = fingerprintOf(b, b.addresses[0]!);
    const x = await b.newAddress();
    await aLeader.join({ address: x }); // A lists x by mistake: its leader keeps dialing it
    // x starts to join B while B is unreachable (a restart, a partition): A's leader dials first.
    await b.stopAll();
    const joiner = await b.start(x, { join: true, logLevel: 'warn', logger: (_level, line) => linesX.push(line) });
    await waitUntil("x to refuse A's leader", () => linesX.some((l) => l.includes('knows none yet')), 10_000);
    assert.is(joiner.status().clusterFingerprint, undefined, 'x learnt nothing from A');
    await b.startAll();
    const admitted = await Promise.race([joiner.admitted().then(() => true), sleep(15_000).then(() => false)]);
    assert.ok(admitted, 'x is admitted');
    assert.is(joiner.status().clusterFingerprint, fpB, "x learnt B's fingerprint");
    assert.ok(b.addresses.includes(joiner.leader ?? ''), `x follows B's leader, not A's (leader ${joiner.leader})`);
  } finally {
    await b.close();
    await a.close();
  }
});

test('cluster fingerprint: a hello with a fingerprint from a stranger teaches a joiner nothing; it learns its cluster\'s from the member it asks to join', async () => {
  const c = await TestCluster.grpc(3);
  try {
    await c.startAll();
    const fp = fingerprintOf(c, c.addresses[0]!);
    const x = await c.newAddress();
    await c.stopAll(); // so that the stranger comes first every time
    const joiner = await c.start(x, { join: true });
    const stranger = openStream(x);
    stranger.write(helloFrame({ version: PROTOCOL_VERSION, clusterId: 'tsraft', address: '127.0.0.1:1', fingerprint: '00000000deadbeef' }));
    const status = await stranger.status;
    assert.is(status.code, 14, `refused as UNAVAILABLE: ${status.details}`);
    assert.match(status.details, 'knows none yet');
    assert.is(joiner.status().clusterFingerprint, undefined);
    await c.startAll();
    const admitted = await Promise.race([joiner.admitted().then(() => true), sleep(15_000).then(() => false)]);
    assert.ok(admitted, 'the joiner is admitted');
    assert.is(joiner.status().clusterFingerprint, fp, "the joiner's fingerprint is its cluster's");
  } finally {
    await c.close();
  }
});

test('cluster fingerprint: a CLUSTER that cannot be read as a file (a directory) fails start() with an error naming it', async () => {
  const c = await TestCluster.grpc(1);
  try {
    const address = c.addresses[0]!;
    await c.start(address);
    await c.stop(address);
    const dir = join(c.root, address.replace(':', '-'));
    rmSync(join(dir, FINGERPRINT_FILE));
    mkdirSync(join(dir, FINGERPRINT_FILE));
    try {
      await c.start(address);
      assert.unreachable('started');
    } catch (err) {
      assert.match((err as Error).message, `cannot read the cluster fingerprint file ${join(dir, FINGERPRINT_FILE)}`);
    }
  } finally {
    await c.close();
  }
});

test.run();
