/** GrpcTransport start/stop lifecycle: a stop() during start() closes the listener it was binding. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep } from './fixtures.js';
import { canBind, freePort, makeNode, stopCreated } from './grpc-helpers.js';

test.after.each(stopCreated);

test('stop() called while start() is binding leaves no listener behind (the port is free again)', async () => {
  const port = await freePort();
  const a = makeNode({ address: `127.0.0.1:${port}` });
  const starting = a.t.start().then(
    () => 'resolved',
    (err: Error) => `rejected: ${err.message}`,
  );
  await a.t.stop();
  await starting;
  let free = false;
  for (let i = 0; i < 20 && !free; i++) {
    free = await canBind(port);
    if (!free) await sleep(50);
  }
  assert.ok(free, `port ${port} is still bound by a transport that was stopped (start() ${await starting})`);
});

test.run();
