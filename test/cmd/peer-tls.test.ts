// raft-node's mutual-TLS flags for the peer port: a misconfiguration is refused at start naming the
// flag (it would otherwise show only as members failing their handshakes), and a cluster started
// with the flags elects, replicates and refuses a plaintext peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';
import { readPeerTls } from '../../cmd/peer-tls.js';
import { makeTestPki } from '../support/pki.js';
import { ProcessCluster, http } from '../support/processes.js';
import { hello, openStream, within } from '../input/peer-client.js';

const { pki, skipReason } = makeTestPki();
const dir = mkdtempSync(join(tmpdir(), 'tsraft-peer-tls-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the PKI's files once: good-cert.pem, good-key.pem, good-ca.pem, rogue-*.pem, junk.pem. */
function files(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, tls] of Object.entries(pki!)) {
    for (const part of ['cert', 'key', 'ca'] as const) {
      const path = join(dir, `${name}-${part}.pem`);
      writeFileSync(path, tls[part]);
      out[`${name}-${part}`] = path;
    }
  }
  out.junk = join(dir, 'junk.pem');
  writeFileSync(out.junk, 'not a certificate\n');
  return out;
}

const tlsArgs = (f: Record<string, string>, who = 'good'): string[] => ['--peer-cert-file', f[`${who}-cert`]!, '--peer-key-file', f[`${who}-key`]!, '--peer-trusted-ca-file', f['good-ca']!];

test('the three TLS flags are read into the node options; without them the peer port is plaintext', () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const f = files();
  const c = parseFlags(['--host', '127.0.0.1', ...tlsArgs(f)]) as ServerConfig;
  assert.equal(c.peerTls, { cert: pki.good.cert, key: Buffer.from(pki.good.key as string), ca: pki.good.ca });
  assert.is((parseFlags(['--host', '127.0.0.1']) as ServerConfig).peerTls, undefined);
  // localhost is in the test certificate's subjectAltName too.
  assert.ok((parseFlags(['--host', 'localhost', ...tlsArgs(f)]) as ServerConfig).peerTls);
});

test('a TLS misconfiguration is refused naming the flag: one flag alone, an unreadable or non-PEM file, a key of another certificate, a certificate not naming --host or out of date', () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const f = files();
  const host = ['--host', '127.0.0.1'];
  assert.match(flagError([...host, '--peer-cert-file', f['good-cert']!]), /^--peer-key-file: needed with --peer-cert-file \(mutual TLS takes all three/);
  assert.match(flagError([...host, '--peer-trusted-ca-file', f['good-ca']!]), /^--peer-cert-file: needed with --peer-trusted-ca-file/);
  assert.match(flagError([...host, ...tlsArgs(f).slice(0, 5), join(dir, 'nope.pem')]), /^--peer-trusted-ca-file .*nope\.pem: cannot read it \(ENOENT\)/);
  assert.match(flagError([...host, '--peer-cert-file', f.junk!, ...tlsArgs(f).slice(2)]), /^--peer-cert-file .*junk\.pem: not a PEM certificate/);
  assert.match(flagError([...host, ...tlsArgs(f).slice(0, 5), f.junk!]), /^--peer-trusted-ca-file .*junk\.pem: not a PEM certificate/);
  assert.match(flagError([...host, ...tlsArgs(f).slice(0, 2), '--peer-key-file', f.junk!, ...tlsArgs(f).slice(4)]), /^--peer-key-file .*junk\.pem: not a PEM private key/);
  assert.match(flagError([...host, ...tlsArgs(f).slice(0, 2), '--peer-key-file', f['rogue-key']!, ...tlsArgs(f).slice(4)]), /^--peer-key-file .*rogue-key\.pem: not the private key of the certificate in --peer-cert-file/);
  const notNamed = flagError(['--host', '10.1.2.3', ...tlsArgs(f)]);
  assert.match(notNamed, /^--peer-cert-file .*good-cert\.pem: does not name --host 10\.1\.2\.3 in its subjectAltName \(.*127\.0\.0\.1.*\); peers dial this node at --host/, notNamed);
  assert.match(flagError(['--host', 'db1.example', ...tlsArgs(f)]), /does not name --host db1\.example/);
  const paths = { cert: f['good-cert']!, key: f['good-key']!, ca: f['good-ca']! };
  assert.throws(() => readPeerTls(paths, '127.0.0.1', new Date(Date.now() + 3 * 86_400_000)), /^--peer-cert-file .*: expired /);
  assert.throws(() => readPeerTls(paths, '127.0.0.1', new Date(Date.now() - 3 * 86_400_000)), /^--peer-cert-file .*: not valid before /);
});

test('a raft-node cluster with the TLS flags elects and replicates, and refuses a plaintext peer', async () => {
  if (!pki) return console.log(`    SKIPPED: ${skipReason}`);
  const f = files();
  const c = await ProcessCluster.start(3, { args: tlsArgs(f) });
  try {
    const leader = await c.waitLeader(30_000);
    const put = await http(`${leader.url}/kv/secret`, { method: 'PUT', body: 'over-tls' });
    assert.is(put.status, 200, put.text);
    const follower = c.nodes.find((n) => n !== leader)!;
    const get = await http(`${follower.url}/kv/secret?consistency=index`);
    assert.is(get.status, 200, get.text);
    assert.is(get.text, 'over-tls');
    const intruder = openStream(leader.peerAddress);
    intruder.write(hello('127.0.0.1:1'));
    const status = await within(intruder.status, 10_000);
    intruder.close();
    assert.ok(status, 'the plaintext stream ended');
    assert.is(status!.code, 14, `UNAVAILABLE: no plaintext HTTP/2 on a TLS port (${status!.details})`);
    assert.is((await http(`${leader.url}/kv/secret`)).text, 'over-tls', 'the leader kept serving');
  } catch (err) {
    console.log(c.logs());
    throw err;
  } finally {
    await c.close();
  }
});

test.run();
