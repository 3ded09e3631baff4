import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeTestPki } from '../support/pki.js';
import { ALL_EXAMPLES, numbered, sleep, waitFor } from './fixtures.js';
import { makeNode, startMesh, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const { pki, skipReason } = makeTestPki();

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
  // The refusing side says so too, once per address (grpc-js itself logged nothing).
  const refusals = a.logger.matching('refused a TLS handshake from 127.0.0.1:');
  assert.ok(refusals.length > 0, `the listener logs the refusals: ${JSON.stringify(a.logger.matching('transport'))}`);
  assert.ok(refusals.length <= 2, `at most once per address a minute, got ${refusals.length}`);
});

test.run();
