/**
 * Reads and checks raft-node's mutual-TLS files for the peer port. A mistake here would otherwise
 * show only as handshakes failing between members (a cluster that never elects a leader), so
 * each is refused at start naming the flag: an unreadable file, a file that is not PEM, a key
 * that is not the certificate's, a certificate out of its validity period or not naming --host.
 * @module
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { TlsOptions } from '../src/transport/index.js';

/** The three files' paths. */
export interface PeerTlsFiles {
  cert: string;
  key: string;
  ca: string;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`--${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function certificate(flag: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`--${flag} ${path}: not a PEM certificate`);
  }
}

function privateKey(path: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error(`--peer-key-file ${path}: not a PEM private key (an encrypted key is not supported)`);
  }
}

/** The files' contents, checked; an Error naming the flag for the first problem. */
export function readPeerTls(files: PeerTlsFiles, host: string, now = new Date()): TlsOptions {
  const certPem = read('peer-cert-file', files.cert);
  const keyPem = read('peer-key-file', files.key);
  const caPem = read('peer-trusted-ca-file', files.ca);
  // The first certificate of a chain file is this node's own.
  const cert = certificate('peer-cert-file', files.cert, certPem);
  certificate('peer-trusted-ca-file', files.ca, caPem);
  const key = privateKey(files.key, keyPem);
  if (!cert.checkPrivateKey(key)) throw new Error(`--peer-key-file ${files.key}: not the private key of the certificate in --peer-cert-file`);
  if (now < new Date(cert.validFrom)) throw new Error(`--peer-cert-file ${files.cert}: not valid before ${cert.validFrom}`);
  if (now > new Date(cert.validTo)) throw new Error(`--peer-cert-file ${files.cert}: expired ${cert.validTo}`);
  // Peers dial this node at --host and check that its certificate names it.
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const named = isIP(bare) ? cert.checkIP(bare) !== undefined : cert.checkHost(bare) !== undefined;
  if (!named) {
    throw new Error(`--peer-cert-file ${files.cert}: does not name --host ${bare} in its subjectAltName (${cert.subjectAltName ?? 'none'}); peers dial this node at --host and would refuse it`);
  }
  return { cert: certPem, key: keyPem, ca: caPem };
}
