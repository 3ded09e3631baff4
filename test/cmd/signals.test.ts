// raft-node's signal handling (cmd/raft-node.ts) as a supervisor and a terminal see it: SIGINT
// stops as gracefully as SIGTERM (exit 0, locks released, acknowledged writes kept); a second
// signal soon after the first (Ctrl-C reaches the whole process group, and a supervisor may send
// SIGTERM as well) does not cut the graceful stop short; a second signal 3 s or more later means
// "stop waiting": exit at once with status 1. Found by the mutation review of the server's entry
// points: no test sent SIGINT, nor a second signal.
//
// A graceful stop is held open by a request in flight: a linearizable read on a node that knows
// no leader (its only peer never runs) waits --leader-wait for one before answering 503.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/node-cluster.js';
import { RaftProcess, http, waitFor, type HttpAnswer } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'tsraft-signals-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const FAST = ['--heartbeat', '50ms', '--election-timeout', '500ms', '--log-level', 'warn'];

/** Resolves with the exit code, or 'still running' when `capMs` passes first (then the caller kills it). */
function exitOf(node: RaftProcess, capMs: number): Promise<number | null | 'still running'> {
  const child = node.child!;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), capMs).unref()),
  ]);
}

/**
 * A node whose only peer never runs: it knows no leader, so a consistency=index read waits
 * `leaderWait` and is answered 503. The request timeout is twice as long: at the same length the
 * two raced, and the CI run of 0d78360 got the request timeout's 504.
 */
async function leaderlessNode(name: string, leaderWait: string, requestTimeout: string): Promise<RaftProcess> {
  const self = `127.0.0.1:${await freePort()}`;
  const absent = `127.0.0.1:${await freePort()}`;
  const node = new RaftProcess(self, await freePort(), join(root, name), [
    ...FAST, '--members', `${self};${absent}`, '--leader-wait', leaderWait, '--request-timeout', requestTimeout,
  ]);
  node.start();
  await waitFor('the node to serve /status', () => node.status(), 30_000);
  return node;
}

/** Starts a read that holds the node's graceful stop open, and waits until it is in flight. */
async function readInFlight(node: RaftProcess): Promise<{ answer: Promise<HttpAnswer | Error> }> {
  const answer = http(`${node.url}/kv/k?consistency=index`, { timeoutMs: 60_000 }).catch((err: Error) => err);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { answer };
}

test('SIGINT stops a node as gracefully as SIGTERM: exit 0, data-dir and WAL locks released, an acknowledged write is there after a restart', async () => {
  const self = `127.0.0.1:${await freePort()}`;
  const node = new RaftProcess(self, await freePort(), join(root, 'sigint'), [...FAST, '--members', self]);
  try {
    node.start();
    await waitFor('the node to lead', async () => (await node.status())?.state === 'leader', 30_000);
    const put = await http(`${node.url}/kv/kept`, { method: 'PUT', body: 'before SIGINT' });
    assert.is(put.status, 200, put.text);
    const exited = exitOf(node, 20_000);
    node.child!.kill('SIGINT');
    assert.is(await exited, 0, `exit status after SIGINT (null: killed by the signal, no clean stop)\n${node.output}`);
    assert.not.ok(existsSync(join(node.path, 'LOCK')), 'the data directory lock was released');
    assert.not.ok(existsSync(join(node.path, 'wal', 'LOCK')), 'the WAL lock was released');

    node.start();
    await waitFor('the restarted node to lead', async () => (await node.status())?.state === 'leader', 30_000);
    const get = await http(`${node.url}/kv/kept`);
    assert.is(get.status, 200, get.text);
    assert.is(get.text, 'before SIGINT');
  } finally {
    await node.kill();
  }
});

test('a second signal soon after the first (SIGTERM, then Ctrl-C\'s SIGINT) does not cut the graceful stop short: the request in flight is answered, exit 0', async () => {
  const node = await leaderlessNode('twice-soon', '3s', '6s');
  try {
    const read = await readInFlight(node);
    const exited = exitOf(node, 20_000);
    node.child!.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    node.child!.kill('SIGINT');
    assert.is(await exited, 0, `exit status (1: the second signal forced the exit)\n${node.output}`);
    assert.not.match(node.output, /exiting at once/);
    const answer = await read.answer;
    if (answer instanceof Error) assert.unreachable(`the read in flight was not answered: ${answer.message}`);
    else assert.is(answer.status, 503, answer.text);
    assert.not.ok(existsSync(join(node.path, 'LOCK')), 'the data directory lock was released');
  } finally {
    await node.kill();
  }
});

test('a second signal 3 s or more after the first, while the stop still waits, exits at once with status 1 (not 0: the stop was not clean)', async () => {
  // The read would hold the stop for 30 s.
  const node = await leaderlessNode('twice-late', '30s', '60s');
  try {
    const read = await readInFlight(node);
    const exited = exitOf(node, 20_000);
    node.child!.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 3300));
    assert.ok(node.running, `still stopping 3.3 s after SIGTERM (the read holds the stop)\n${node.output}`);
    node.child!.kill('SIGINT');
    assert.is(await exited, 1, `exit status after the second signal ('still running': it was ignored)\n${node.output}`);
    assert.match(node.output, /raft-node: SIGINT again while stopping: exiting at once/);
    await read.answer;
  } finally {
    await node.kill();
  }
});

test.run();
