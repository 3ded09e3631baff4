// A linearizable read that cannot be confirmed (README, "The HTTP API"): one that waited out
// --request-timeout because its leader stopped answering answers 504 (timed out); one on a node
// that knows no leader waits --leader-wait for one and then answers 503 with Retry-After.
// A node stopped (SIGTERM) while such a read is in flight on a half-closed connection still
// answers it, closes the socket and exits 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { halfClosedRequest } from '../support/half-closed.js';
import { ProcessCluster, http, waitFor, type RaftProcess } from '../support/processes.js';

// Shorter than the election timeout (2 s here): the follower still believes in a silent leader
// when the read times out. The leader wait is shorter still.
const TIMEOUT_MS = 800;
const LEADER_WAIT_MS = 300;
let c: ProcessCluster;
let leader: RaftProcess;
let follower: RaftProcess;

test.before(async () => {
  c = await ProcessCluster.start(2, { args: ['--election-timeout', '2s', '--request-timeout', `${TIMEOUT_MS}ms`, '--leader-wait', `${LEADER_WAIT_MS}ms`] });
  leader = await c.waitLeader();
  follower = c.nodes.find((n) => n !== leader)!;
  assert.is((await http(`${leader.url}/kv/k`, { method: 'PUT', body: 'v' })).status, 200);
  assert.is((await http(`${follower.url}/kv/k`)).text, 'v');
});
test.after(async () => {
  await c.close();
});

test('a read whose leader stopped answering waits out the request timeout and answers 504; SIGTERM meanwhile still answers it and exits 0', async () => {
  leader.pause();
  const started = Date.now();
  const read = http(`${follower.url}/kv/k?consistency=index`, { timeoutMs: 15_000 });
  const halfClosedRead = halfClosedRequest(follower.url, 'GET /kv/k?consistency=index HTTP/1.1\r\nHost: x\r\n\r\n').then((r) => r.response);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const exited = new Promise<number | null>((resolve) => follower.child!.once('exit', (code) => resolve(code)));
  follower.child!.kill('SIGTERM');

  const r = await read;
  const waited = Date.now() - started;
  assert.is(r.status, 504, r.text);
  assert.match(r.json<{ error: string }>().error, new RegExp(`^the read could not be confirmed within the request timeout \\((leader .* did not confirm it|no leader is known now)\\); retry$`));
  assert.ok(waited >= TIMEOUT_MS * 0.9, `answered after ${waited} ms`);
  assert.match(await halfClosedRead, /^HTTP\/1\.1 504 /);
  assert.is(await exited, 0, c.logs());
});

test('a read on a node that knows no leader waits --leader-wait for one, then answers 503 with Retry-After', async () => {
  await leader.kill();
  follower.start();
  await waitFor('the follower to serve /status', () => follower.status());
  const started = Date.now();
  const r = await http(`${follower.url}/kv/k?consistency=index`);
  assert.is(r.status, 503, r.text);
  assert.is(r.json<{ error: string }>().error, 'no leader is known; retry later');
  assert.is(r.headers.get('retry-after'), '1');
  const waited = Date.now() - started;
  assert.ok(waited >= LEADER_WAIT_MS * 0.9 && waited < TIMEOUT_MS, `answered after ${waited} ms`);
});

test.run();
