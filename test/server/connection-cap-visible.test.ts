// Found in a user trial: with --max-connections open, node:http closed every further connection
// at once and said nothing, so an operator whose scrapes of /metrics failed could not tell why.
// Counted now (tsraft_http_connections_refused_total, beside tsraft_http_connections_open) and
// said in a line at most once a minute. Also: answers node:http's parser refuses before any
// route (a bad request line) count in tsraft_http_requests_total under route "unknown".
// Mutants: the 'drop' listener dropped; the once-a-minute bound dropped; countAnswer dropped
// from the clientError answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KvCluster, rawConnection, rawExchange, waitUntil, type RawConnection } from '../support/kv-http-cluster.js';

test('connections refused at the cap are counted and said once a minute; open connections are a gauge', async () => {
  const lines: string[] = [];
  const c = new KvCluster(1);
  c.httpOptions = { maxConnections: 3, log: (_level, line) => lines.push(line) };
  const idle: RawConnection[] = [];
  try {
    const m = await c.startNode(c.addresses[0]!);
    await c.waitLeader();
    for (let i = 0; i < 3; i++) idle.push(rawConnection(m.url));
    await Promise.all(idle.map((x) => x.connected));
    const refused = Array.from({ length: 4 }, () => rawConnection(m.url));
    await waitUntil('the connections over the cap closed', () => refused.every((x) => x.closed()) || undefined, 5000);
    assert.is(lines.length, 1, `one line for the four: ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /refusing HTTP connections .*: 3 are open, the --max-connections cap; 1 refused since start/);
    for (const x of idle) x.socket.destroy();
    await waitUntil('the idle connections gone', () => (m.http as unknown as { sockets: Set<unknown> }).sockets.size === 0 || undefined, 5000);
    const text = await m.node.metrics();
    assert.match(text, /\ntsraft_http_connections_refused_total 4\n/);
    assert.match(text, /\ntsraft_http_connections_open 0\n/);
  } finally {
    for (const x of idle) x.socket.destroy();
    await c.close();
  }
});

test('a request node:http cannot parse is answered 400 and counted under route "unknown"', async () => {
  const c = await KvCluster.start(1);
  try {
    const m = await c.waitLeader();
    const text = await rawExchange(m.url, 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 400 /, text);
    assert.match(await m.node.metrics(), /tsraft_http_requests_total\{route="unknown",code="400"\} 1\n/);
  } finally {
    await c.close();
  }
});

test.run();
