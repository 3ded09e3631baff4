import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from '../../src/transport/grpc.js';
import { ALL_EXAMPLES, numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, startMesh, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

/** A throwaway CA and one node certificate it signed (valid for 127.0.0.1), made with the openssl CLI. */
function makePki(dir: string, name: string): TlsOptions {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '1', '-subj', `/CN=${name} test CA`);
  run('req', ...ec, '-keyout', `${name}-node.key`, '-out', `${name}-node.csr`, '-subj', `/CN=${name} node`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  run('x509', '-req', '-in', `${name}-node.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}-node.pem`, '-days', '1', '-extfile', `${name}.ext`);
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return { ca: read(`${name}-ca.pem`), cert: read(`${name}-node.pem`), key: read(`${name}-node.key`).toString() };
}

let pki: { good: TlsOptions; rogue: TlsOptions } | undefined;
let skipReason = '';
const dir = mkdtempSync(join(tmpdir(), 'tsraft-tls-'));
try {
  pki = { good: makePki(dir, 'good'), rogue: makePki(dir, 'rogue') };
} catch (err) {
  skipReason = `openssl could not make test certificates (${(err as Error).message.split('\n')[0]})`;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

test('mutual TLS: peers with certificates from the cluster CA exchange batches', async () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const a = makeNode({ tls: pki.good });
  const b = makeNode({ tls: pki.good });
  await startMesh([a, b]);
  a.t.send(b.t.address, ALL_EXAMPLES);
  b.t.send(a.t.address, [numbered(1)]);
  await waitFor('b got the batch', () => b.received().length === ALL_EXAMPLES.length);
  await waitFor('a got the batch', () => a.received().length === 1);
  assert.equal(b.received(a.t.address), ALL_EXAMPLES);
});

test('mutual TLS: a peer with a certificate from another CA, or without TLS, is refused', async () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const a = makeNode({ tls: pki.good });
  const b = makeNode({ tls: pki.good });
  const rogue = makeNode({ tls: { ...pki.rogue, ca: pki.good.ca } }); // trusts us, but we do not trust it
  const plaintext = makeNode();
  await startMesh([a, b]);
  for (const intruder of [rogue, plaintext]) {
    await intruder.t.start();
    intruder.t.setPeers([a.t.address]);
    intruder.t.send(a.t.address, [numbered(666)]);
  }
  await sleep(500);
  b.t.send(a.t.address, [numbered(1)]);
  await waitFor('the trusted peer still gets through', () => a.received().length > 0);
  assert.equal(a.received(rogue.t.address), []);
  assert.equal(a.received(plaintext.t.address), []);
  assert.not.ok(rogue.t.stats().peers[a.t.address]!.connected);
  assert.not.ok(plaintext.t.stats().peers[a.t.address]!.connected);
  assert.ok(rogue.logger.matching('cannot open stream').length > 0, 'the refused side says why');
});

test.run();
