// Node-level tests over gRPC on loopback: what reaches a node's peer port from outside its cluster
// (garbage bytes, a node of another cluster, a peer without the cluster's certificate) is refused,
// and the cluster keeps serving; a mutual-TLS cluster works end to end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node } from '../../src/node.js';
import { SeededRandom } from '../../src/core/rng.js';
import { Kv, SetCommand, TestCluster, freePort, kvSnapshot } from '../support/node-cluster.js';
import { makeTestPki } from '../support/pki.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `payload` on a raw TCP connection to `address` and waits for the server to drop it. */
async function sendRaw(address: string, payload: Buffer): Promise<void> {
  const [host, port] = address.split(':') as [string, string];
  await new Promise<void>((resolve) => {
    const socket = connect(Number(port), host, () => socket.write(payload));
    socket.on('error', () => {});
    socket.on('close', () => resolve());
    socket.setTimeout(300, () => socket.destroy());
  });
}

/** A node outside the cluster, with its own data dir, that dies with the test. */
async function outsider(address: string, members: string, options: { clusterId?: string; tls?: { cert: Buffer | string; key: Buffer | string; ca: Buffer | string }; join?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-outsider-'));
  const [host, port] = address.split(':') as [string, string];
  const node = await Node.create<Kv>({
    host,
    port: Number(port),
    dataDir: dir,
    context: new Kv(),
    members,
    heartbeatMs: 20,
    electionTimeoutMs: 100,
    requestTimeoutMs: 1000,
    sync: 'none',
    logLevel: 'silent',
    ...options,
  });
  node.registerCommand(SetCommand);
  node.setSnapshot(kvSnapshot(node.context));
  await node.start();
  return {
    node,
    async close() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('garbage bytes on every peer port are refused and the cluster keeps serving', async () => {
  const c = await TestCluster.grpc(3);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', 'before'));
    const term = leader.status().term;
    const rng = new SeededRandom(7);
    const payloads = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\xff\xff\xff\xff\xff'),
      Buffer.from(new Uint8Array(8192).map(() => rng.int(256))),
    ];
    for (const address of c.addresses) for (const p of payloads) await sendRaw(address, p);
    await leader.do(new SetCommand('k', 'after'));
    await c.waitConverged();
    assert.is(leader.isLeader(), true, 'the leader kept its leadership');
    assert.is(leader.status().term, term, 'no election was caused');
    for (const n of c.nodes.values()) assert.is(n.context.data.get('k'), 'after');
  } finally {
    await c.close();
  }
});

test('a node of another cluster listing our members is refused: no votes, no disruption', async () => {
  const c = await TestCluster.grpc(3);
  const intruderAddress = `127.0.0.1:${await freePort()}`;
  let intruder: Awaited<ReturnType<typeof outsider>> | undefined;
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await leader.do(new SetCommand('k', '1'));
    const term = leader.status().term;
    // The intruder founds a "cluster" of our three nodes plus itself and campaigns every 100-200 ms.
    intruder = await outsider(intruderAddress, [...c.addresses, intruderAddress].join(';'), { clusterId: 'another-cluster' });
    await sleep(1500);
    assert.is(intruder.node.isLeader(), false, 'it won no election');
    assert.is(intruder.node.leader, undefined, 'it never heard of a leader');
    assert.ok(['preCandidate', 'candidate'].includes(intruder.node.state), `it is campaigning (${intruder.node.state})`);
    assert.is(leader.isLeader(), true);
    assert.is(leader.status().term, term, 'its higher terms never reached us');
    assert.is(await leader.do(new SetCommand('k', '2')), '1');
    await c.waitConverged();
    assert.equal(leader.members().map((m) => m.address).sort(), [...c.addresses].sort());
  } finally {
    await intruder?.close();
    await c.close();
  }
});

const { pki, skipReason } = makeTestPki();

test('mutual TLS through Node: the cluster replicates; a node with another CA cannot join', async () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const c = await TestCluster.grpc(3, { tls: pki.good });
  const rogueAddress = `127.0.0.1:${await freePort()}`;
  let rogue: Awaited<ReturnType<typeof outsider>> | undefined;
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    await Promise.all(Array.from({ length: 20 }, (_, i) => leader.do(new SetCommand(`t${i}`, `${i}`))));
    await c.waitConverged();
    // Trusts our CA, but our nodes do not trust its certificate.
    rogue = await outsider(rogueAddress, c.addresses.join(';'), { join: true, tls: { ...pki.rogue, ca: pki.good.ca } });
    await sleep(1500);
    assert.equal(leader.members().map((m) => m.address).sort(), [...c.addresses].sort(), 'the rogue node was not admitted');
    assert.is(rogue.node.context.data.size, 0, 'it received no data');
    await leader.do(new SetCommand('t0', 'still serving'));
    await c.waitConverged();
  } finally {
    await rogue?.close();
    await c.close();
  }
});

test.run();
