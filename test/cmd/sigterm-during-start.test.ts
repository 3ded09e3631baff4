// Found by the mutation review of the server's entry points (fixed with this test): raft-node
// installed its SIGTERM/SIGINT handlers only after the server had started, but starting binds the
// HTTP port first and then runs node.start() (directory lock, snapshot and WAL recovery, peer
// transport). A SIGTERM in that window — a supervisor stopping a node still recovering a large
// state, which answers 503 "starting" meanwhile — got the signal's default action: the process
// died at once, no clean stop, its data-directory and WAL LOCK files left behind. Now the
// handlers are in place first, and a stop asked during the start waits for it to end, then stops.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/node-cluster.js';
import { RaftProcess } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-start-signal-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('SIGTERM while raft-node is still starting (HTTP port bound, node.start() under way) stops it cleanly: exit 0, locks released', async () => {
  // Up to three tries to land the signal inside the start window (a second peer the node dials
  // makes the window some 100 ms here); a try that lands after the start proves nothing.
  for (let attempt = 0; attempt < 3; attempt++) {
    const self = `127.0.0.1:${await freePort()}`;
    const absent = `127.0.0.1:${await freePort()}`;
    const node = new RaftProcess(self, await freePort(), join(root, `try-${attempt}`), ['--log-level', 'warn', '--members', `${self};${absent}`]);
    try {
      node.start();
      const child = node.child!;
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
      const cap = setTimeout(() => child.kill('SIGKILL'), 30_000);
      while (!(await accepts(node.httpPort)) && node.running) await new Promise((resolve) => setTimeout(resolve, 5));
      const serving = node.output.includes(' serving ');
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      clearTimeout(cap);
      if (serving) continue;
      assert.equal([code, signal], [0, null], `exit after a SIGTERM during start (code, signal)\n${node.output}`);
      assert.not.ok(existsSync(join(node.path, 'LOCK')), 'the data directory lock was released');
      return;
    } finally {
      await node.kill();
    }
  }
  console.warn('sigterm-during-start: the node started before the signal each time; nothing shown');
});

test.run();
