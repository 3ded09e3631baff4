// GET /status field by field against the node it describes (README, "The HTTP API": address,
// httpAddress, state, term, leader, the log indexes, members with their HTTP addresses, keys,
// requests). Found by the mutation review of the server's entry points: the requests counts were
// only ever checked with as many reads as writes (reads and writes swapped passed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import type { Node } from '../../src/node.js';
import type { KvStore } from '../../src/kv/index.js';
import { KvHttpServer } from '../../src/server/http.js';
import type { NodeStatus } from '../../src/server/status.js';
import { KvCluster, raw } from '../support/kv-http-cluster.js';
import { waitFor } from '../support/processes.js';

const status = async (url: string): Promise<NodeStatus> => JSON.parse((await raw(url, 'GET', '/status')).text) as NodeStatus;

test('/status: requests counts reads and writes apart, keys counts the keys held, and the log indexes and term are the node\'s own', async () => {
  const c = await KvCluster.start(1);
  try {
    const l = await c.waitLeader();
    for (const key of ['a', 'b', 'c']) assert.is((await raw(l.url, 'PUT', `/kv/${key}`, 'v')).status, 200);
    assert.is((await raw(l.url, 'DELETE', '/kv/c')).status, 200);
    assert.is((await raw(l.url, 'GET', '/kv/a')).status, 200);
    const snapshot = JSON.parse((await raw(l.url, 'POST', '/snapshot')).text) as { index: number };
    assert.is((await raw(l.url, 'PUT', '/kv/d', 'after the snapshot')).status, 200);

    const s = await status(l.url);
    assert.equal(s.requests, { writes: 5, reads: 1 }, '5 writes (4 PUTs, 1 DELETE) and 1 read');
    assert.is(s.keys, 3, 'a, b and d');
    const own = l.node.status();
    for (const field of ['term', 'commitIndex', 'appliedIndex', 'firstIndex', 'lastIndex', 'snapshotIndex'] as const) {
      assert.is(s[field], own[field], field);
    }
    assert.is(s.snapshotIndex, snapshot.index);
    assert.ok(s.lastIndex > s.snapshotIndex && s.snapshotIndex > 0, JSON.stringify(s));
    assert.is(s.state, 'leader');
    assert.is(s.address, l.address);
    assert.is(s.httpAddress, l.http.address);
    assert.is(s.digest, l.node.context.digest());
    assert.ok(/^[0-9a-f]{16}$/.test(s.clusterFingerprint ?? ''), `clusterFingerprint ${s.clusterFingerprint}`);
    assert.is(s.clusterFingerprint, own.clusterFingerprint);
    assert.ok(/^[0-9a-f]{16}$/.test(s.incarnation ?? ''), `incarnation ${s.incarnation}`);
    assert.is(s.incarnation, own.incarnation);
  } finally {
    await c.close();
  }
});

test('/status on a follower names the leader by peer and HTTP address, and every member with its HTTP address', async () => {
  const c = await KvCluster.start(3);
  try {
    const l = await c.waitLeader();
    const f = [...c.members.values()].find((m) => m !== l)!;
    // The members announce their HTTP addresses to each other after they start.
    const s = await waitFor('the follower to know every HTTP address', async () => {
      const st = await status(f.url);
      return st.leader?.httpAddress && st.members.every((m) => m.httpAddress) ? st : undefined;
    }, 5000).catch(async () => status(f.url));
    assert.is(s.state, 'follower');
    assert.equal(s.leader, { address: l.address, httpAddress: l.http.address });
    assert.equal(
      s.members.map((m) => [m.address, m.httpAddress, m.nonVoting]).sort(),
      [...c.members.values()].map((m) => [m.address, m.http.address, false]).sort(),
    );
  } finally {
    await c.close();
  }
});

test('/status takes each index from its own field of the node\'s status (commitIndex ahead of appliedIndex stays so: apply lag shows)', () => {
  // Every number distinct, so that one field read in place of another shows.
  const own = { term: 7, commitIndex: 120, appliedIndex: 110, firstIndex: 40, lastIndex: 130, snapshotIndex: 39, removedAt: undefined };
  const node = {
    address: 'n1:1',
    state: 'leader',
    leader: 'n1:1',
    status: () => own,
    members: () => [{ address: 'n1:1', nonVoting: false }, { address: 'n2:2', nonVoting: true, promoting: true as const }],
    getNodeMeta: (peer: string) => (peer === 'n2:2' ? '127.0.0.1:8002' : undefined),
    context: { size: 5, digest: () => 'abc' },
    metricsRegistry: { registry: new Registry() },
  };
  const s = new KvHttpServer(node as unknown as Node<KvStore>, { host: '127.0.0.1', port: 0 }).status();
  assert.equal(
    { term: s.term, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, firstIndex: s.firstIndex, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex, removedAt: s.removedAt },
    { term: 7, commitIndex: 120, appliedIndex: 110, firstIndex: 40, lastIndex: 130, snapshotIndex: 39, removedAt: null },
  );
  assert.is(s.keys, 5);
  assert.is(s.digest, 'abc');
  assert.equal(s.members, [
    { address: 'n1:1', nonVoting: false, httpAddress: '' },
    { address: 'n2:2', nonVoting: true, promoting: true, httpAddress: '127.0.0.1:8002' },
  ]);
});

test.run();
