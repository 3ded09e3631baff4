/** Throwaway certificate authorities for mutual-TLS tests, made with the openssl CLI. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from '../../src/transport/grpc.js';

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

/**
 * Two unrelated PKIs: `good` (the cluster's) and `rogue` (another CA). When openssl is missing or
 * fails, `pki` is undefined and `skipReason` says why.
 */
export function makeTestPki(): { pki: { good: TlsOptions; rogue: TlsOptions } | undefined; skipReason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-tls-'));
  try {
    return { pki: { good: makePki(dir, 'good'), rogue: makePki(dir, 'rogue') }, skipReason: '' };
  } catch (err) {
    return { pki: undefined, skipReason: `openssl could not make test certificates (${(err as Error).message.split('\n')[0]})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
