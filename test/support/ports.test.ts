// The free-port helper every test cluster and the bench use. Regression: a 4-node process cluster
// asked for 4 peer ports then 4 HTTP ports; the OS handed a closed peer port out again as an HTTP
// port, and node 4 failed to start with EADDRINUSE (CI, test/server/cluster.test.ts).
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from './ports.js';

test('freePort never returns a port it returned before in this process', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 200; i++) ports.push(await freePort());
  assert.is(new Set(ports).size, ports.length);
});

test('freePort returns a port that can be bound at once', async () => {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null && address.port === port);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test.run();
