// The cluster fingerprint over the real gRPC transport (src/cluster-fingerprint.ts): two clusters
// founded apart, with the same clusterId, never exchange a message, even when one lists a member of
// the other (its address given to join() by mistake); a joiner learns its cluster's fingerprint from
// the members that dial it; a founding member upgraded from a version without fingerprints computes
// it again from its log's first entry.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINGERPRINT_FILE } from '../../src/cluster-fingerprint.js';
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

test('cluster fingerprint: a joiner learns it from the members that dial it, and keeps it', async () => {
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

test.run();
