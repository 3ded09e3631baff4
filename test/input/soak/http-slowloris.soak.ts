// Bad input: slow clients on the HTTP port. 200 connections trickle header bytes (one every 2 s) or
// send nothing at all; the node must keep serving meanwhile and cut them off within a bounded
// time, with an answer naming the problem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { ProcessCluster, type RaftProcess } from '../../support/processes.js';
import { putGet, sleep } from '../peer-client.js';

let c: ProcessCluster;
let node: RaftProcess;

test.before(async () => {
  c = await ProcessCluster.start(1);
  node = await c.waitLeader();
});
test.after(async () => {
  await c.close();
});

test('200 slowloris connections and 200 silent ones: served meanwhile, cut off within 2 minutes', async () => {
  const port = Number(new URL(node.url).port);
  const results: Array<{ kind: string; ms: number; answer: string }> = [];
  const t0 = Date.now();
  const sockets: Socket[] = [];
  const open = (kind: 'slow' | 'silent'): Promise<void> =>
    new Promise((resolve) => {
      let answer = '';
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('data', (d) => (answer += d));
      socket.on('error', () => {});
      let timer: NodeJS.Timeout | undefined;
      if (kind === 'slow') {
        const text = 'GET /kv/slow HTTP/1.1\r\nHost: x\r\nX-Padding: ' + 'a'.repeat(1000);
        let i = 0;
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(text[i++ % text.length]!);
        }, 2000);
      }
      socket.on('close', () => {
        clearInterval(timer);
        results.push({ kind, ms: Date.now() - t0, answer: answer.split('\r\n')[0] + ' ' + answer.slice(answer.indexOf('\r\n\r\n') + 4) });
        resolve();
      });
    });
  const all = [...Array.from({ length: 200 }, () => open('slow')), ...Array.from({ length: 200 }, () => open('silent'))];
  await sleep(5000);
  const r = await putGet(node, 'during-slowloris');
  assert.is(r.put, 200, 'served while 400 slow connections are open');
  const done = await Promise.race([Promise.all(all).then(() => true), sleep(125_000).then(() => false)]);
  for (const s of sockets) s.destroy();
  const by = (kind: string) => results.filter((x) => x.kind === kind);
  for (const kind of ['slow', 'silent']) {
    const xs = by(kind);
    const ms = xs.map((x) => x.ms).sort((a, b) => a - b);
    console.log(`${kind}: ${xs.length} closed by the server, after ${ms[0]}..${ms[ms.length - 1]} ms; answers: ${[...new Set(xs.map((x) => x.answer))].join(' | ')}`);
  }
  assert.ok(done, 'every slow connection was cut off within 125 s');
  const slowAnswers = by('slow').map((x) => x.answer);
  assert.ok(slowAnswers.every((a) => /408|timeout/i.test(a)), `a request timed out is answered as such: ${[...new Set(slowAnswers)].join(' | ')}`);
});

test.run();
