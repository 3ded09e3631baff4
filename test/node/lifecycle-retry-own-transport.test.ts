// start() documents: "If it fails, what it opened is closed again and the directory released, so
// it may be called again." With a transport the application passed in (`transport` option: a
// GrpcTransport with its own listen address or settings), a start() that failed because the port
// was taken stopped that transport for good (found in review), and every later start() failed too, even once the port
// is free (GrpcTransport itself supports a start() again after a failed bind).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcTransport } from '../../src/transport/grpc.js';
import { MemoryNetwork } from '../../src/transport/memory.js';
import { SetCommand, freePort, waitUntil, oneMemberNode } from '../support/node-cluster.js';

const roots: string[] = [];

const waitFor = (probe: () => boolean, what: string, timeoutMs = 5000): Promise<boolean> => waitUntil(what, probe, timeoutMs);

test('start() again after a start() that failed to bind, with the application\'s own transport', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tsraft-lifecycle-'));
  roots.push(root);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  const transport = new GrpcTransport({ address, clusterId: 'tsraft', logger: { info() {}, warn() {} } });
  const node = await oneMemberNode(new MemoryNetwork(), address, join(root, 'data'), transport);
  let first: Error | undefined;
  try {
    await node.start();
  } catch (err) {
    first = err as Error;
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
  assert.ok(first, 'the first start() should fail: the port is taken');
  assert.match(first!.message, /cannot listen/);
  assert.is((first as Error & { code?: string }).code, 'EADDRINUSE', 'the system error\'s code, for a program to test');

  // The port is free now: start() again, as documented.
  let second: Error | undefined;
  try {
    await node.start();
  } catch (err) {
    second = err as Error;
  }
  if (second === undefined) {
    await waitFor(() => node.isLeader(), 'the node to lead');
    await node.do(new SetCommand('a', '1'));
    await node.stop();
  }
  assert.is(second?.message, undefined, 'start() after the failed start() failed');
});

test.after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

test.run();
