// The chaos clients' reading of raft-node's 500 for a write applied whose result was not kept
// (ResultNotKeptError, "outcome": "applied"): a write, an append or a delete is recorded ok (it
// applied), a CAS info (whether it compared equal was its result). README, Fault injection.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryRecorder } from '../support/lincheck/index.js';
import { Workload, sleep } from './clients.js';

test('a 500 with "outcome": "applied" is ok for a write, an append and a delete, info for a CAS', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"key not found"}');
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"applied, but its result was not kept","outcome":"applied"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t0 = performance.now();
  const w = new Workload({ clients: 4, keys: ['k'], seed: 1, targets: () => [url], recorder: new HistoryRecorder(), now: () => performance.now() - t0 });
  try {
    w.start();
    await sleep(500);
    await w.stop();
  } finally {
    w.close();
    server.close();
  }
  const outcomes: Record<string, Set<string>> = {};
  for (const r of w.records) (outcomes[r.op] ??= new Set()).add(r.outcome);
  for (const op of ['write', 'append', 'delete']) {
    assert.ok(outcomes[op] !== undefined, `some ${op} was tried`);
    assert.equal([...outcomes[op]!], ['ok'], `a ${op} answered 500 "outcome": "applied"`);
  }
  assert.equal([...(outcomes['cas'] ?? [])], ['info'], 'a CAS answered 500 "outcome": "applied"');
});

test.run();
