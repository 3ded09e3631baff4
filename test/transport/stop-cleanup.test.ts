// stop() of a transport leaves nothing behind, whatever state its links are in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Socket } from 'node:net';
import { numbered, sleep, waitFor } from './fixtures.js';
import { freePort, makeNode, startMesh, stopAll, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

const handles = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');

test('stop() leaves no socket or timer behind: ready streams, a dead peer in backoff, a silent peer in handshake', async () => {
  const before = handles(); // uvu's own timer may be listed here
  const nodes = [makeNode(), makeNode()];
  await startMesh(nodes);
  nodes[0]!.t.send(nodes[1]!.t.address, [numbered(1)]);
  nodes[1]!.t.send(nodes[0]!.t.address, [numbered(1)]);
  await waitFor('delivered', () => nodes.every((n) => n.received().length === 1));
  const dead = `127.0.0.1:${await freePort()}`;
  nodes[0]!.t.setPeers([nodes[1]!.t.address, dead]);
  const sockets = new Set<Socket>();
  const silent = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentAddr = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  nodes[1]!.t.setPeers([nodes[0]!.t.address, silentAddr]);
  await sleep(300);
  await stopAll(nodes);
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  await sleep(300);
  assert.equal(handles(), before.filter((h) => h !== 'Timeout'), `left behind: ${handles().join(', ')}`);
});

test.run();
