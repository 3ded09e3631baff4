// KvHttpServer.stop() (its doc): "A request whose body has not all arrived is answered 503 at
// once (see cutShort): nothing of it was proposed". README, status codes: 503 is "shutting
// down", with Retry-After; a 5xx says "outcome": "not applied" when nothing was done. A 400
// would tell the client its request was malformed, and a client does not retry a 400.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, rawConnection, waitUntil } from '../support/kv-http-cluster.js';

/** Sends a PUT whose body stops halfway on a fresh connection, then stops the server. */
async function stopDuringUpload(pipelinedBehindRead: boolean): Promise<string> {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const conn = rawConnection(m.url);
    const socket = conn.socket;
    try {
      await conn.connected;
      const read = pipelinedBehindRead ? 'GET /kv/k?consistency=local HTTP/1.1\r\nHost: x\r\n\r\n' : '';
      socket.write(read + 'PUT /kv/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
      if (pipelinedBehindRead) await waitUntil('the read answered', () => (conn.text().includes('HTTP/1.1 404') ? true : undefined), 3000);
      // The PUT is reading its body now.
      await new Promise((r) => setTimeout(r, 100));
      await m.http.stop();
      const answered = (text: string) => text.includes('}', text.lastIndexOf('HTTP/1.1 ')) && (!pipelinedBehindRead || text.split('HTTP/1.1 ').length > 2);
      await waitUntil('the answer to the PUT', () => (answered(conn.text()) ? true : undefined), 3000);
      return conn.text().slice(conn.text().lastIndexOf('HTTP/1.1 '));
    } finally {
      socket.destroy();
    }
  } finally {
    await c.close();
  }
}

function assertShuttingDown(answer: string): void {
  assert.match(answer, /^HTTP\/1\.1 503 /, `answered ${JSON.stringify(answer)}`);
  assert.match(answer, /\r\nretry-after: 1\r\n/i, 'with Retry-After');
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string; outcome: string };
  assert.equal(body, { error: 'shutting down', outcome: 'not applied' });
}

test('a PUT whose body is still arriving when stop() begins is answered 503 "shutting down", "not applied", with Retry-After', async () => {
  assertShuttingDown(await stopDuringUpload(false));
});

test.run();
