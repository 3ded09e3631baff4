// `npm start` (package.json's "start" script running scripts/start-cluster.mjs), stopped the way
// a supervisor, an IDE's stop button or `timeout` stops it — SIGTERM to npm's pid, not Ctrl-C to
// the whole process group — must not leave the cluster running.
//
// npm forwards SIGTERM to the shell running the script; /bin/sh (dash) does not exec the last
// command of an && list, so without an explicit `exec` the shell died of the signal and the
// script (and its three raft-node processes) were orphaned, never signalled.
//
// The copy: a temporary project with package.json's real "start" script, the real
// scripts/start-cluster.mjs, and a dist/cmd/raft-node.js that runs this checkout's sources
// through tsx ("build" is a no-op). start-cluster.mjs uses fixed ports 9001-9003 and 10001-10003:
// the test does nothing if one is taken.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, waitFor } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Every live descendant of `pid` (read from /proc). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parent.set(Number(name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) if (pp === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('SIGTERM to npm start stops the cluster: no start-cluster.mjs or raft-node process is left running', async () => {
  assert.ok(existsSync('/proc/self/stat'), 'this test reads /proc (Linux)');
  for (const port of [9001, 9002, 9003, 10001, 10002, 10003]) {
    if (!(await portFree(port))) {
      console.warn(`npm-start-sigterm: port ${port} is taken; not run`);
      return;
    }
  }
  const project = mkdtempSync(join(tmpdir(), 'tsraft-npm-start-'));
  const real = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'npm-start-copy', version: '0.0.0', private: true, type: 'module', scripts: { build: 'true', start: real.scripts.start } }));
  mkdirSync(join(project, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/start-cluster.mjs'), join(project, 'scripts/start-cluster.mjs'));
  // dist/cmd/raft-node.js runs the sources through tsx: npm test does not build dist/.
  mkdirSync(join(project, 'dist/cmd'), { recursive: true });
  writeFileSync(
    join(project, 'dist/cmd/raft-node.js'),
    `import { register } from ${JSON.stringify(join(ROOT, 'node_modules/tsx/dist/esm/api/index.mjs'))};\nregister();\nawait import(${JSON.stringify(join(ROOT, 'cmd/raft-node.ts'))});\n`,
  );

  const npm = spawn('npm', ['start', '--', '--log-level', 'warn', '--heartbeat', '50ms', '--election-timeout', '500ms'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  let started: number[] = [];
  try {
    await waitFor('the cluster to elect a leader', async () => {
      const r = await http('http://127.0.0.1:10001/status', { timeoutMs: 1000 }).catch(() => undefined);
      return r?.status === 200 && r.json<{ leader: unknown }>().leader !== null;
    }, 40_000);
    started = descendants(npm.pid!);
    assert.ok(started.length >= 4, `start-cluster.mjs (exec'd by the shell) and three raft-node under npm: ${started.join(' ')}`);

    npm.kill('SIGTERM');
    const left = await waitFor('every process npm start made to exit', () => {
      const running = started.filter(alive);
      return running.length === 0 ? [] : false;
    }, 15_000).catch(() => started.filter(alive));
    const what = left.map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`);
    assert.equal(what, [], `still running 15 s after SIGTERM to npm:\n${what.join('\n')}\n--- output\n${output}`);
  } finally {
    npm.kill('SIGKILL');
    // The script first (it stops its nodes cleanly), then anything that is still there.
    for (const pid of started) if (alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-cluster.mjs')) process.kill(pid, 'SIGTERM');
    await waitFor('the leftovers to stop', () => started.every((pid) => !alive(pid)), 15_000).catch(() => undefined);
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(project, { recursive: true, force: true });
  }
});

test.run();
