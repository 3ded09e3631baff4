// Bad input against a real raft-node process: every endpoint answers malformed requests with the
// documented status and a JSON error naming the problem, and the node keeps serving. Bad flags
// exit with status 2 and a message naming the flag.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { ProcessCluster, http, runRaftNode } from '../support/processes.js';

let c: ProcessCluster;

test.before(async () => {
  c = await ProcessCluster.start(1, { args: ['--max-value-bytes', '1KiB'] });
  await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

async function expectError(path: string, init: RequestInit, status: number, message: RegExp): Promise<void> {
  const r = await http(`${c.nodes[0]!.url}${path}`, init);
  assert.is(r.status, status, `${init.method ?? 'GET'} ${path}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = r.json<{ error: string }>();
  assert.type(body.error, 'string');
  assert.match(body.error, message, `${init.method ?? 'GET'} ${path}`);
}

async function stillServes(): Promise<void> {
  const url = c.nodes[0]!.url;
  const w = await http(`${url}/kv/alive`, { method: 'PUT', body: String(Date.now()) });
  assert.is(w.status, 200, w.text);
  assert.is((await http(`${url}/kv/alive`)).status, 200);
}

test('malformed bodies, keys and values get 400 / 413 with a JSON error', async () => {
  await expectError('/kv/k/cas', { method: 'POST', body: '{not json' }, 400, /malformed JSON/);
  await expectError('/kv/k/cas', { method: 'POST', body: '[1,2]' }, 400, /JSON object/);
  await expectError('/kv/k/cas', { method: 'POST', body: '{"value":"x"}' }, 400, /"expect" is required/);
  await expectError('/kv/k/cas', { method: 'POST', body: '{"expect":1,"value":"x"}' }, 400, /"expect" must be a string or null/);
  await expectError('/kv/k/cas', { method: 'POST', body: '{"expect":null,"value":5}' }, 400, /"value" must be a string/);
  // A misspelt optional field is refused, not ignored: ignored, it stored the base64 text itself,
  // or added a voter, and answered 200.
  await expectError('/kv/k/cas', { method: 'POST', body: '{"expect":null,"value":"AAE=","encodng":"base64"}' }, 400, /unknown field "encodng" \(the fields are "expect", "value", "encoding"\)/);
  await expectError('/members', { method: 'POST', body: '{"address":"127.0.0.1:1","nonvoting":true}' }, 400, /unknown field "nonvoting"/);
  await expectError('/leader/transfer', { method: 'POST', body: '{"address":"127.0.0.1:1","force":true}' }, 400, /unknown field "force"/);
  assert.is((await http(`${c.nodes[0]!.url}/kv/k?consistency=local`)).status, 404, 'the refused CAS wrote nothing');
  await expectError('/members', { method: 'POST', body: '{"address":"no-port"}' }, 400, /bad member address/);
  await expectError('/members', { method: 'POST', body: '{"address":"0.0.0.0:7402"}' }, 400, /0\.0\.0\.0 is the unspecified address, which a server may listen on but peers cannot reach/);
  await expectError('/members', { method: 'POST', body: '{"address":"h:1","nonVoting":"yes"}' }, 400, /"nonVoting" must be a boolean/);
  const self = c.nodes[0]!.peerAddress;
  const alias = `localhost:${self.split(':')[1]}`;
  await expectError('/members', { method: 'POST', body: JSON.stringify({ address: alias }) }, 409, new RegExp(`${alias} and ${self} name the same endpoint`));
  await expectError('/leader/transfer', { method: 'POST', body: '{}' }, 400, /"address" must be a string/);
  await expectError('/leader/transfer', { method: 'POST', body: '{"address":"127.0.0.1:1"}' }, 400, /not a voting member/);
  await expectError('/members/not%20an%20address', { method: 'DELETE' }, 400, /bad member address/);
  await expectError('/kv/%E0%A4%A', { method: 'PUT', body: 'x' }, 400, /malformed key/);
  await expectError(`/kv/${'k'.repeat(5000)}`, { method: 'PUT', body: 'x' }, 400, /key longer than/);
  await expectError('/kv/k?consistency=strong', {}, 400, /consistency must be index, lease or local/);
  await expectError('/kv/k?consistency=local&consistency=index', {}, 400, /consistency: given more than once/);
  await expectError('/kv/k?consistancy=local', {}, 400, /unknown query parameter "consistancy" \(GET \/kv\/\{key\} takes consistency\)/);
  await expectError('/kv/q?consistency=local', { method: 'PUT', body: 'x' }, 400, /unknown query parameter "consistency" \(PUT \/kv\/\{key\} takes none\)/);
  assert.is((await http(`${c.nodes[0]!.url}/kv/q?consistency=local`)).status, 404, 'the refused PUT wrote nothing');
  for (const path of ['/status?_=1', '/metrics?module=tsraft', '/?refresh=1']) {
    assert.is((await http(`${c.nodes[0]!.url}${path}`)).status, 200, `${path}: read-only routes ignore their query (uptime checkers, scrape params)`);
  }
  await expectError('/kv/k', { method: 'PUT', body: Buffer.alloc(2048, 1) }, 413, /exceeds the limit of 1024 bytes/);
  await expectError('/kv/k/append', { method: 'POST', body: Buffer.alloc(2048, 1) }, 413, /exceeds the limit/);
  await expectError('/kv/k/cas', { method: 'POST', body: JSON.stringify({ expect: null, value: 'x'.repeat(2000) }) }, 413, /exceeds the limit of 1024 bytes/);
  await stillServes();
});

test('unknown routes get 404, wrong methods 405 with Allow; missing keys 404', async () => {
  await expectError('/nope', {}, 404, /no route/);
  await expectError('/kv', {}, 404, /no route/);
  await expectError('/kv/a/b/c', {}, 404, /no route/);
  await expectError('/kv/missing', {}, 404, /key not found/);
  const r = await http(`${c.nodes[0]!.url}/kv/k`, { method: 'POST' });
  assert.is(r.status, 405);
  assert.is(r.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
  await expectError('/status', { method: 'DELETE' }, 405, /not allowed/);
  await expectError('/snapshot', {}, 405, /not allowed/);
  await stillServes();
});

test('a huge body streamed without Content-Length is cut off with 413 and the node keeps serving', async () => {
  const url = new URL(`${c.nodes[0]!.url}/kv/big`);
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write('PUT /kv/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(512, 0x61);
      for (let i = 0; i < 64; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
    });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
  assert.match(answer, /^HTTP\/1\.1 413/);
  await stillServes();
});

test('garbage bytes on the HTTP port and on the peer port: the node keeps serving', async () => {
  const node = c.nodes[0]!;
  for (const port of [Number(new URL(node.url).port), Number(node.peerAddress.split(':')[1])]) {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from('\x00\xff garbage \r\n\r\n\x16\x03\x01')));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.setTimeout(500, () => socket.destroy());
    });
  }
  await stillServes();
});

test('CAS: 409 with the current value on mismatch; 200 on match', async () => {
  const url = c.nodes[0]!.url;
  assert.is((await http(`${url}/kv/c`, { method: 'DELETE' })).status, 200);
  let r = await http(`${url}/kv/c/cas`, { method: 'POST', body: JSON.stringify({ expect: null, value: 'one' }) });
  assert.is(r.status, 200, r.text);
  r = await http(`${url}/kv/c/cas`, { method: 'POST', body: JSON.stringify({ expect: 'zero', value: 'two' }) });
  assert.is(r.status, 409);
  assert.equal({ error: r.json().error, current: r.json().current }, { error: 'compare failed', current: 'one' });
  r = await http(`${url}/kv/c/append`, { method: 'POST', body: '+' });
  assert.is(r.status, 200);
  assert.is((await http(`${url}/kv/c`)).text, 'one+');
  const snap = await http(`${url}/snapshot`, { method: 'POST' });
  assert.is(snap.status, 200);
  assert.ok(snap.json<{ index: number }>().index > 0);
  const metrics = await http(`${url}/metrics`);
  assert.match(metrics.text, /tsraft_server_is_leader 1/);
  assert.match(metrics.text, /tsraft_http_requests_total\{route="PUT \/kv\/\{key\}",code="200"\}/);
});

test('metrics: tsraft_http_requests_total counts every answer by route and code, exactly, across scrapes', async () => {
  const url = c.nodes[0]!.url;
  const count = (text: string, route: string, code: number): number => {
    const line = text.split('\n').find((l) => l.startsWith(`tsraft_http_requests_total{route="${route}",code="${code}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  const before = (await http(`${url}/metrics`)).text;
  for (let i = 0; i < 3; i++) assert.is((await http(`${url}/kv/never-written-${i}?consistency=local`)).status, 404);
  assert.is((await http(`${url}/kv/x?consistency=sometimes`)).status, 400);
  const middle = (await http(`${url}/metrics`)).text;
  assert.is(count(middle, 'GET /kv/{key}', 404) - count(before, 'GET /kv/{key}', 404), 3);
  assert.is(count(middle, 'GET /kv/{key}', 400) - count(before, 'GET /kv/{key}', 400), 1);
  assert.is((await http(`${url}/kv/never-written-9?consistency=local`)).status, 404);
  const after = (await http(`${url}/metrics`)).text;
  assert.is(count(after, 'GET /kv/{key}', 404) - count(middle, 'GET /kv/{key}', 404), 1, 'a scrape reports only what is new since the last');
  assert.is(count(after, 'GET /kv/{key}', 400), count(middle, 'GET /kv/{key}', 400));
  assert.is(count(after, 'GET /metrics', 200) - count(middle, 'GET /metrics', 200), 1);
});

const BAD_FLAGS: Array<[string[], RegExp]> = [
  [['--bogus'], /Unknown option '--bogus'/],
  [['--port', 'abc'], /--port: expected a port/],
  [['--port', '70000'], /--port: expected a port/],
  [['--http-port', '0'], /--http-port: expected a port/],
  [['--sync', 'sometimes'], /--sync: expected one of always, none/],
  [['--snapshot-policy', 'weekly'], /--snapshot-policy: expected one of/],
  [['--snapshot-trailing-entries', 'many'], /--snapshot-trailing-entries: expected a whole number/],
  [['--wal-segment-bytes', '100'], /--wal-segment-bytes: must be at least 256 bytes/],
  [['--wal-preallocate', 'yes'], /--wal-preallocate: expected one of true, false, got "yes"/],
  [['--request-timeout', 'soon'], /--request-timeout: expected a duration/],
  [['--max-value-bytes', '-1'], /--max-value-bytes/],
  [['--max-value-bytes', '1GB'], /--max-value-bytes: expected a size/],
  [['--members', 'a:1;a:1'], /--members: member a:1 is listed twice/],
  [['--members', 'x:1,maybe'], /--members: bad member/],
  [['--port', '9001', '--members', 'localhost:9002'], /--members: does not include this node/],
  [['--join'], /--join: needs --members/],
  [['--log-level', 'loud'], /--log-level: expected one of/],
  [['--gc-heap-growth', '5000'], /--gc-heap-growth: must be a percent from 0 to 1000/],
  [['--gc-heap-growth', 'lots'], /--gc-heap-growth: expected a whole number/],
  [['--port'], /--port/],
  [['stray'], /Unexpected argument 'stray'/],
];

test('bad flags exit with status 2 and a message naming the flag; --help exits 0', async () => {
  // A few at a time: each is a Node process compiling TypeScript, and CI has two cores.
  const results: Awaited<ReturnType<typeof runRaftNode>>[] = [];
  for (let i = 0; i < BAD_FLAGS.length; i += 4) {
    results.push(...(await Promise.all(BAD_FLAGS.slice(i, i + 4).map(([args]) => runRaftNode(args, 60_000)))));
  }
  for (const [i, [args, message]] of BAD_FLAGS.entries()) {
    const r = results[i]!;
    assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  const help = await runRaftNode(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /--members "h:p;h:p;h:p,true"/);
});

test.run();
