#!/usr/bin/env node
// `npm start`: a local 3-node raft-node cluster (peer ports 9001-9003, HTTP 10001-10003, data in
// data/), its output prefixed per node. Ctrl-C (or SIGTERM) stops every node cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist/cmd/raft-node.js');
if (!existsSync(entry)) {
  console.error(`${entry} is missing: run npm run build first (npm start does)`);
  process.exit(1);
}
const host = '127.0.0.1';
const ports = [9001, 9002, 9003];
const members = ports.map((p) => `${host}:${p}`).join(';');
const extra = process.argv.slice(2); // e.g. npm start -- --sync none

const children = ports.map((port) => {
  const name = `node${port - 9000}`;
  const child = spawn(process.execPath, [entry, '--host', host, '--port', String(port), '--members', members, '--path', join(root, 'data', `${host}-${port}`), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream, out) => {
    let rest = '';
    stream.on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited unexpectedly (${signal ?? `status ${code}`}); stopping the cluster`);
      stop(1);
    }
  });
  return child;
});

console.log(`tsraft: 3-node cluster starting (data in ${join(root, 'data')})`);
for (const port of ports) console.log(`  node${port - 9000}: peer ${host}:${port}  http://${host}:${port + 1000}/  (dashboard, /status, /metrics, /kv/{key})`);
console.log(`Try: curl -X PUT --data hello http://${host}:10001/kv/greeting && curl http://${host}:10002/kv/greeting`);
console.log('Ctrl-C stops the cluster.');

let stopping = false;
function stop(status) {
  if (stopping) return;
  stopping = true;
  let left = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (left.length === 0) process.exit(status);
  const force = setTimeout(() => {
    for (const c of left) c.kill('SIGKILL');
  }, 10_000);
  for (const c of left) {
    c.once('exit', () => {
      left = left.filter((x) => x !== c);
      if (left.length === 0) {
        clearTimeout(force);
        console.log('tsraft: cluster stopped');
        process.exit(status);
      }
    });
    c.kill('SIGTERM');
  }
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
