// Crash consistency with real processes: a child writes snapshots of growing index and reports
// each commit; we SIGKILL it at random moments, reopen the directory, and check that latest()
// returns a complete, checksum-valid snapshot at or after the last reported commit, that no file
// under a final name is damaged, and that open() removed every temp file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readSnapshotFile, TEMP_SUFFIX } from '../../src/snapshot/format.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { crashPayloadSize, membership, payloadSlice, readAll, removeDir, seededRandom, tempDir } from './helpers.js';

const KILLS = 22;
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs one child until it is killed `delayMs` after it reported ready; returns the highest index it reported committed. */
function runChildUntilKilled(dir: string, seed: number, delayMs: number): Promise<{ committed: number; commits: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let committed = 0;
    let commits = 0;
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, value] = line.split(' ');
      if (kind === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
      else if (kind === 'committed') {
        committed = Math.max(committed, Number(value));
        commits++;
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
      else resolve({ committed, commits });
    });
  });
}

test(`SIGKILL at random moments ${KILLS} times: latest() is always a complete snapshot at or after the last commit`, async () => {
  const seed = Number(process.env.SNAPSHOT_CRASH_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const dir = await tempDir('tsraft-snap-crash-');
  let lastCommitted = 0;
  let totalCommits = 0;
  let killsMidWrite = 0;
  try {
    for (let round = 1; round <= KILLS; round++) {
      const where = `after kill ${round} (SNAPSHOT_CRASH_SEED=${seed})`;
      const delayMs = Math.floor(random() * 300);
      const { committed, commits } = await runChildUntilKilled(dir, seed * 1000 + round, delayMs);
      totalCommits += commits;
      lastCommitted = Math.max(lastCommitted, committed);
      if ((await readdir(dir)).some((name) => name.endsWith(TEMP_SUFFIX))) killsMidWrite++;

      const store = await SnapshotStore.open(dir, { retain: 2 });
      const names = await readdir(dir);
      assert.ok(!names.some((name) => name.endsWith(TEMP_SUFFIX)), `${where}: temp files left after open: ${names}`);
      assert.ok(names.length <= 3, `${where}: retention exceeded by more than the one in flight: ${names}`);
      const latest = await store.latest();
      assert.equal(store.corrupt, [], `${where}: a file under a final name is damaged`);
      if (latest === undefined) {
        assert.is(lastCommitted, 0, `${where}: no snapshot although ${lastCommitted} was committed`);
        continue;
      }
      const index = latest.meta.index;
      assert.ok(index >= lastCommitted, `${where}: latest is ${index}, but ${lastCommitted} was committed`);
      assert.is(latest.meta.term, 1 + Math.floor(index / 50), where);
      assert.equal(latest.meta.membership, membership(index % 10), where);
      const data = await readAll(store.open(latest));
      assert.is(data.length, crashPayloadSize(index), `${where}: snapshot ${index} has the wrong size`);
      assert.ok(data.equals(payloadSlice(index, 0, data.length)), `${where}: snapshot ${index} has the wrong bytes`);
      // Every snapshot still listed must verify too, not just the newest.
      for (const listing of await store.list()) {
        const older = await readSnapshotFile(listing.path, listing);
        assert.ok(older.meta.index <= index, where);
      }
    }
    assert.ok(totalCommits > KILLS, `children committed only ${totalCommits} snapshots`);
    console.log(`  snapshot crash test: ${KILLS} kills (${killsMidWrite} left a temp file), ${totalCommits} commits, latest committed ${lastCommitted} (seed ${seed})`);
  } finally {
    await removeDir(dir);
  }
});

test.run();
