// Regression (found in review; fixed). Before the fix: the hello's address (any string up to 512 characters) goes verbatim into the refusal's
// log line, so a newline in it forges whole log lines; and the refusal log is rate-limited per
// (address, reason), which the sender chooses, so varying the address defeats the limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hello, openStream, sleep, within, sharedCluster } from './peer-client.js';

const cluster = sharedCluster(1);

test('a hello address with a newline does not forge a log line', async () => {
  const node = cluster().nodes[0]!;
  const s = openStream(node.peerAddress);
  s.write(hello('x:1\n2030-01-01T00:00:00.000Z error [127.0.0.1:9001] fatal: FORGED line', 'tsraft', 99));
  await within(s.status, 3000);
  s.close();
  await sleep(200);
  const forged = node.output.split('\n').filter((l) => l.startsWith('2030-01-01'));
  assert.equal(forged, [], `forged log line: ${forged[0]}`);
});

test('200 refused streams with different addresses: the refusal log stays rate-limited', async () => {
  const node = cluster().nodes[0]!;
  const before = node.output.split('\n').length;
  for (let i = 0; i < 200; i++) {
    const s = openStream(node.peerAddress);
    s.write(hello(`flood-${i}:1`, 'tsraft', 99));
    await within(s.status, 2000);
    s.close();
  }
  await sleep(200);
  const lines = node.output.split('\n').length - before;
  console.log(`${lines} log lines for 200 refused streams from one host`);
  assert.ok(lines < 20, `${lines} log lines for 200 refusals from one client host`);
});

test.run();
