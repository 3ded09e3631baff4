// From a mutation review of cmd/peer-tls.ts: an unreadable key file is reported naming
// --peer-key-file, and an IPv6 --host (given bare or in brackets) is matched against the
// certificate's IP addresses without its brackets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { flagError } from './flag-error.js';

const dir = mkdtempSync(join(tmpdir(), 'tsraft-peer-tls-files-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('an unreadable --peer-key-file is reported naming --peer-key-file', () => {
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate\n');
  const missing = join(dir, 'no-key.pem');
  const message = flagError(['--host', '127.0.0.1', '--peer-cert-file', junk, '--peer-key-file', missing, '--peer-trusted-ca-file', junk]);
  assert.is(message, `--peer-key-file ${missing}: cannot read it (ENOENT)`);
});

test('an IPv6 --host is accepted when the certificate names that IP address', () => {
  const cert = join(dir, 'v6-cert.pem');
  const key = join(dir, 'v6-key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=v6 node', '-addext', 'subjectAltName=IP:::1'], { stdio: 'pipe' });
  } catch (err) {
    return console.log(`    SKIPPED: openssl could not make a test certificate (${(err as Error).message.split('\n')[0]})`);
  }
  const tls = ['--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', cert];
  for (const host of ['::1', '[::1]']) {
    const c = parseFlags(['--host', host, ...tls]) as ServerConfig;
    assert.is(c.host, '[::1]');
    assert.ok(c.peerTls, host);
  }
  assert.match(flagError(['--host', '::2', ...tls]), /does not name --host ::2 in its subjectAltName/);
});

test.run();
