// The pieces of the cluster fingerprint (src/cluster-fingerprint.ts): the hash, its file, its field
// in the handshake, and a start that finds the file damaged. test/node/cluster-fingerprint runs
// them together over gRPC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINGERPRINT_FILE, clusterFingerprint, readFingerprint, writeFingerprint } from '../../src/cluster-fingerprint.js';
import type { Member } from '../../src/core/index.js';
import { PROTOCOL_VERSION, helloFrame, parseFrame } from '../../src/transport/frame.js';
import { WireError } from '../../src/transport/wire.js';
import { TestCluster } from '../support/node-cluster.js';

const member = (id: number, context: string, role: Member['role'] = 'voter'): Member => ({ id, role, promote: false, context });
const founding = [member(1, 'a:1'), member(2, 'b:2'), member(3, 'c:3', 'learner')];

test('fingerprint: the same for the same founding members in any order; another for another clusterId, member, address or role', () => {
  const fp = clusterFingerprint('tsraft', founding);
  assert.match(fp, /^[0-9a-f]{16}$/);
  assert.is(clusterFingerprint('tsraft', [...founding].reverse()), fp);
  assert.is.not(clusterFingerprint('other', founding), fp);
  assert.is.not(clusterFingerprint('tsraft', founding.slice(0, 2)), fp);
  assert.is.not(clusterFingerprint('tsraft', [member(1, 'a:1'), member(2, 'b:2'), member(3, 'c:4', 'learner')]), fp);
  assert.is.not(clusterFingerprint('tsraft', [member(1, 'a:1'), member(2, 'b:2'), member(3, 'c:3')]), fp);
});

test('fingerprint file: none yet is undefined; written, it reads back; damaged, the error names the file and the remedy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-fp-'));
  try {
    assert.is(await readFingerprint(dir), undefined);
    await writeFingerprint(dir, '0123456789abcdef');
    assert.is(await readFingerprint(dir), '0123456789abcdef');
    writeFileSync(join(dir, FINGERPRINT_FILE), 'garbage\n');
    try {
      await readFingerprint(dir);
      assert.unreachable('read a damaged file');
    } catch (err) {
      assert.match((err as Error).message, new RegExp(`${FINGERPRINT_FILE} does not hold a cluster fingerprint .*"garbage\\\\n".*delete it`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hello: the fingerprint travels when known, is absent otherwise, and anything but 16 lowercase hex digits is refused', () => {
  const base = { version: PROTOCOL_VERSION, clusterId: 'c', address: '127.0.0.1:7000' };
  assert.equal(parseFrame(helloFrame({ ...base, fingerprint: '0123456789abcdef' })), { kind: 'hello', hello: { ...base, fingerprint: '0123456789abcdef' } });
  assert.equal(parseFrame(helloFrame(base)), { kind: 'hello', hello: base });
  const plain = new Packr({ useRecords: false });
  for (const fp of ['0123456789ABCDEF', '0123', '0123456789abcdef0', 7, null]) {
    const frame = Buffer.concat([Buffer.from([1]), plain.pack({ v: PROTOCOL_VERSION, cluster: 'c', from: '127.0.0.1:7000', fp })]);
    assert.throws(() => parseFrame(frame), (err: Error) => err instanceof WireError && /hello\.fp \(cluster fingerprint\) must be 16 lowercase hex digits/.test(err.message), JSON.stringify(fp));
  }
});

test('a start that finds the fingerprint file damaged fails, naming it', async () => {
  const c = new TestCluster(1);
  try {
    const address = c.addresses[0]!;
    await c.start(address);
    await c.stop(address);
    writeFileSync(join(c.root, address.replace(':', '-'), FINGERPRINT_FILE), 'not a fingerprint');
    try {
      await c.start(address);
      assert.unreachable('started');
    } catch (err) {
      assert.match((err as Error).message, /CLUSTER does not hold a cluster fingerprint/);
    }
  } finally {
    await c.close();
  }
});

test.run();
