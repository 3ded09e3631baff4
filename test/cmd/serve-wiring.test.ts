// cmd/serve.ts hands raft-node's flags to the Node and the HTTP server: run in this process from
// the parsed command line, as raft-node runs it. Found by the mutation review of the server's
// entry points: --snapshot-policy, --max-connections and the HTTP address a member announces to
// the others could be dropped on the way with every test (outside the chaos suite) still passing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags, type ServerConfig } from '../../cmd/flags.js';
import { startServer, type RunningServer } from '../../cmd/serve.js';
import { freePort } from '../support/ports.js';
import { http, waitFor } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-serve-wiring-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function config(args: string[]): ServerConfig {
  const c = parseFlags(['--host', '127.0.0.1', '--heartbeat', '50ms', '--election-timeout', '500ms', '--log-level', 'error', '--sync', 'none', ...args]);
  if (c === 'help') throw new Error('help');
  return c;
}

/** A one-member raft-node in this process with `args`; stopped by `run` whatever happens. */
async function withServer(name: string, args: string[], run: (s: RunningServer, url: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const s = await startServer(config(['--port', String(port), '--http-port', String(await freePort()), '--path', join(root, name), '--members', `127.0.0.1:${port}`, ...args]));
  try {
    await waitFor('the node to lead', () => s.node.state === 'leader', 20_000);
    await run(s, `http://${s.http.address}`);
  } finally {
    await s.stop();
  }
}

test('--snapshot-policy second: the node snapshots on its own a second after a write (the default takes none that soon)', async () => {
  await withServer('policy-second', ['--snapshot-policy', 'second'], async (_s, url) => {
    assert.is((await http(`${url}/kv/k`, { method: 'PUT', body: 'v' })).status, 200);
    await waitFor('a snapshot taken by the policy', async () => (await http(`${url}/status`)).json<{ snapshotIndex: number }>().snapshotIndex > 0, 10_000);
  });
});

test('--max-connections 2: a third open HTTP connection is closed at once, the first two are served', async () => {
  await withServer('max-connections', ['--max-connections', '2'], async (s) => {
    const [host, port] = s.http.address.split(':') as [string, string];
    const sockets: Socket[] = [];
    try {
      const open = async (): Promise<Socket> => {
        const socket = connect(Number(port), host);
        socket.on('error', () => {});
        sockets.push(socket);
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        return socket;
      };
      const [first, second] = [await open(), await open()];
      await new Promise((resolve) => setTimeout(resolve, 100));
      const third = await open();
      const closed = await Promise.race([
        new Promise<boolean>((resolve) => third.once('close', () => resolve(true))),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
      ]);
      assert.ok(closed, 'the third connection was closed by the server');
      for (const socket of [first, second]) {
        const answer = new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (d) => {
            text += d;
            if (text.includes('\r\n\r\n')) resolve(text);
          });
        });
        socket.write('GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.match(await answer, /^HTTP\/1\.1 204 /);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

test('a member announces its HTTP address: a follower\'s /status names the leader\'s HTTP address, and the leader\'s names the follower\'s', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  const members = `127.0.0.1:${p1};127.0.0.1:${p2}`;
  const servers: RunningServer[] = [];
  try {
    for (const [i, port] of [p1, p2].entries()) {
      servers.push(await startServer(config(['--port', String(port), '--http-port', String(await freePort()), '--path', join(root, `meta-${i}`), '--members', members])));
    }
    const leader = await waitFor('a leader', () => servers.find((s) => s.node.state === 'leader'), 20_000);
    const follower = servers.find((s) => s !== leader)!;
    await waitFor('each member to know the other\'s HTTP address', async () => {
      const f = (await http(`http://${follower.http.address}/status`)).json<{ leader: { httpAddress: string | null } | null; members: Array<{ address: string; httpAddress: string | null }> }>();
      const l = (await http(`http://${leader.http.address}/status`)).json<{ members: Array<{ address: string; httpAddress: string | null }> }>();
      return f.leader?.httpAddress === leader.http.address && l.members.find((m) => m.address === follower.node.address)?.httpAddress === follower.http.address;
    }, 15_000);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});

test.run();
