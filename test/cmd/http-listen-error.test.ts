// A --host this machine cannot listen on is reported naming --host, not as a busy --http-port.
// Found in review of 67b8c34: every listen error of the HTTP port said "--http-port: ... is another
// process using it?", so a --host that is not an address of this machine (EADDRNOTAVAIL) or does
// not resolve (ENOTFOUND) sent the operator looking for a process on the HTTP port. Node's own
// "listen EADDRNOTAVAIL: address not available 192.0.2.1:..." had at least named the address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRaftNode } from '../support/processes.js';
import { freePort } from '../support/ports.js';

test('a --host that is no address of this machine: exit 1 naming --host, not a busy --http-port', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsraft-http-listen-host-'));
  try {
    const path = join(dir, 'd');
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
    const r = await runRaftNode(['--host', '192.0.2.1', '--port', String(await freePort()), '--path', path]);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /^raft-node: cannot start: --host 192\.0\.2\.1: /);
    assert.match(r.stderr, /EADDRNOTAVAIL/);
    assert.not.match(r.stderr, /another process/);
    assert.not.ok(existsSync(path), 'the data directory was made');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
