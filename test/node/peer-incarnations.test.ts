// The store of members' data directory incarnations (src/peer-incarnations.ts): what it lets in,
// what it refuses, what it forgets, and that its records outlive a restart.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { claimIncarnation, INCARNATION_FILE } from '../../src/data-dir-incarnation.js';
import { PEER_INCARNATIONS_FILE, PeerIncarnations } from '../../src/peer-incarnations.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { oneMemberNode } from '../support/node-cluster.js';
import { withTempDir } from '../support/temp-dir.js';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const ONE = '0123456789abcdef';
const TWO = 'fedcba9876543210';

const withDir = (body: (dir: string) => Promise<void>): Promise<void> => withTempDir('tsraft-incarnations-', body);

test('peer incarnations: a member\'s first incarnation is kept durably before it is let in; the same again is let in; another is refused, naming both', () =>
  withDir(async (dir) => {
    const store = await PeerIncarnations.load(dir, () => {});
    assert.is(await store.admit(A, ONE, true), undefined);
    assert.is(readFileSync(join(dir, PEER_INCARNATIONS_FILE), 'utf8'), `${A} ${ONE}\n`, 'written before the answer');
    assert.is(await store.admit(A, ONE, true), undefined);
    const refusal = await store.admit(A, TWO, true);
    assert.type(refusal, 'string');
    assert.match(refusal!, `${A} dialed in with data directory incarnation ${TWO}, but this node heard from it as incarnation ${ONE}`);
    assert.match(refusal!, `write ${ONE} back into it`);
    assert.is(store.get(A), ONE, 'the refused one is not kept');
    const reloaded = await PeerIncarnations.load(dir, () => {});
    assert.ok(typeof (await reloaded.admit(A, TWO, true)) === 'string', 'refused after a restart too');
  }));

test('peer incarnations: outsiders and dialers without an incarnation are let in and not kept', () =>
  withDir(async (dir) => {
    const store = await PeerIncarnations.load(dir, () => {});
    assert.is(await store.admit(A, ONE, false), undefined);
    assert.is(await store.admit(B, undefined, true), undefined);
    assert.is(store.get(A), undefined);
    assert.is(store.get(B), undefined);
    assert.is(await store.admit(A, TWO, true), undefined, 'a joiner\'s incarnation is heard once it is a member');
  }));

test('peer incarnations: a joiner\'s incarnation, heard while it was not a member, is adopted once it is, durably; one kept already is not replaced', () =>
  withDir(async (dir) => {
    const store = await PeerIncarnations.load(dir, () => {});
    store.adopt(A, ONE);
    await store.settled();
    assert.is(readFileSync(join(dir, PEER_INCARNATIONS_FILE), 'utf8'), `${A} ${ONE}\n`);
    store.adopt(A, TWO);
    assert.is(store.get(A), ONE);
    assert.type(await store.admit(A, TWO, true), 'string', 'another one is refused');
  }));

test('peer incarnations: a member that left the configuration is forgotten (it may come back on a new directory), and a snapshot from the leader forgets all', () =>
  withDir(async (dir) => {
    const store = await PeerIncarnations.load(dir, () => {});
    await store.admit(A, ONE, true);
    await store.admit(B, ONE, true);
    store.retain(new Set([B]));
    await store.settled();
    assert.is(readFileSync(join(dir, PEER_INCARNATIONS_FILE), 'utf8'), `${B} ${ONE}\n`);
    assert.is(await store.admit(A, TWO, true), undefined, 'back after its removal, on a new directory');
    store.clear();
    await store.settled();
    assert.is(readFileSync(join(dir, PEER_INCARNATIONS_FILE), 'utf8'), '');
    assert.is(await store.admit(B, TWO, true), undefined);
  }));

test('peer incarnations: a file that does not parse fails the load, naming the file and the line', () =>
  withDir(async (dir) => {
    for (const bad of [`${A}\n`, `${A} ${ONE} extra\n`, `${A} not-hex-digits!!\n`, `${B} ${ONE}\n${A} ${ONE.toUpperCase()}\n`]) {
      writeFileSync(join(dir, PEER_INCARNATIONS_FILE), bad);
      const err = await PeerIncarnations.load(dir, () => {}).catch((e: Error) => e);
      assert.instance(err, Error, JSON.stringify(bad));
      assert.match((err as Error).message, join(dir, PEER_INCARNATIONS_FILE));
      assert.match((err as Error).message, /line \d+ is not "ADDRESS INCARNATION"/);
    }
  }));

test('peer incarnations: a failed write is told and the record kept in memory', () =>
  withDir(async (dir) => {
    const warnings: string[] = [];
    const store = await PeerIncarnations.load(join(dir, 'missing'), (line) => warnings.push(line));
    assert.is(await store.admit(A, ONE, true), undefined);
    assert.is(store.get(A), ONE);
    assert.is(warnings.length, 1);
    assert.match(warnings[0]!, /keeping the members' data directory incarnations in .* failed/);
  }));

test('peer incarnations: stop() releases the data directory only once a write started by the Ready it waits for has ended', () =>
  withDir(async (dir) => {
    const network = new MemoryNetwork();
    const node = await oneMemberNode(network, '127.0.0.1:7100', dir);
    await node.start();
    const inner = node as unknown as { incarnations: { peers: PeerIncarnations }; quiesce: () => Promise<void>; closeStorage: () => Promise<void> };
    const store = inner.incarnations.peers;
    await store.admit(A, ONE, true);
    // A Ready still handled while stop() waits for it (quiesce) forgets the records: a snapshot
    // from the leader installed, or a member's removal appended.
    const quiesce = inner.quiesce.bind(node);
    inner.quiesce = () => {
      store.clear();
      return quiesce();
    };
    let writing: boolean | undefined;
    const closeStorage = inner.closeStorage.bind(node);
    inner.closeStorage = async () => {
      let ended = false;
      void store.settled().then(() => {
        ended = true;
      });
      await Promise.resolve();
      writing = !ended;
      return closeStorage();
    };
    await node.stop();
    assert.is(writing, false, 'no write of PEERS is in flight when the directory is released');
    assert.is(readFileSync(join(dir, PEER_INCARNATIONS_FILE), 'utf8'), '');
    network.close();
  }));

test('data directory incarnation: made once and kept; a file holding anything else fails, naming it', () =>
  withDir(async (dir) => {
    const first = await claimIncarnation(dir);
    assert.match(first.incarnation, /^[0-9a-f]{16}$/);
    assert.ok(first.made);
    assert.equal(await claimIncarnation(dir), { incarnation: first.incarnation, made: false });
    writeFileSync(join(dir, INCARNATION_FILE), 'garbage\n');
    const err = await claimIncarnation(dir).catch((e: Error) => e);
    assert.instance(err, Error);
    assert.match((err as Error).message, join(dir, INCARNATION_FILE));
    assert.match((err as Error).message, /Put back the value its peers remember/);
  }));

test.run();
