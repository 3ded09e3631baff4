// Crash test with real processes: a child appends with sync 'always' and reports every
// acknowledged operation; we SIGKILL it at random moments, reopen the same directory, and check
// that every acknowledged entry is there, intact, and that nothing past a torn record survived.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../wal/index.js';
import { crashEntrySize, isIntact, removeDir, seededRandom, tempDir } from './helpers.js';

const KILLS = 25;
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the children promised, as of the last line read. */
interface Promises {
  /** index -> term of every acknowledged entry still in the log. */
  terms: Map<number, number>;
  /** Highest commit index acknowledged in a hard state. */
  commit: number;
  /** Highest compactBefore argument started: firstIndex may not exceed it. */
  compactedBefore: number;
  /** A truncateAfter started but not acknowledged: after a kill the log is before or after it. */
  truncating: number | undefined;
}

/** Runs one child until it is killed `delayMs` after reporting ready; applies its acks. */
function runChildUntilKilled(dir: string, seed: number, delayMs: number, promises: Promises): Promise<{ acks: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let acks = 0;
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, ...args] = line.split(' ');
      const numbers = args.map(Number);
      if (kind === 'ready') {
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      } else if (kind === 'ack') {
        const [from, to, term, commit] = numbers;
        for (let index = from; index <= to; index++) promises.terms.set(index, term);
        promises.commit = Math.max(promises.commit, commit);
        acks++;
      } else if (kind === 'truncating') {
        promises.truncating = numbers[0];
      } else if (kind === 'trunc') {
        for (const index of promises.terms.keys()) if (index > numbers[0]) promises.terms.delete(index);
        promises.truncating = undefined;
      } else if (kind === 'compacting') {
        promises.compactedBefore = Math.max(promises.compactedBefore, numbers[0]);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
      else resolve({ acks, signal });
    });
  });
}

/**
 * SIGKILL cannot tear a write in the page cache, so half of the rounds also simulate the write
 * that a power cut would tear: bytes appended after the end of the newest segment (a cut-off copy
 * of its last record, zeros, or noise). Appending never touches what was acknowledged.
 */
async function appendTornWrite(dir: string, random: () => number): Promise<void> {
  const newest = (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort().at(-1) as string;
  const path = join(dir, newest);
  const content = await readFile(path);
  const choice = random();
  let junk: Buffer;
  if (choice < 0.4 && content.length > 200) {
    const copy = content.subarray(Math.max(64, content.length - 2000));
    junk = copy.subarray(0, 1 + Math.floor(random() * (copy.length - 1)));
  } else if (choice < 0.7) {
    junk = Buffer.alloc(1 + Math.floor(random() * 8192));
  } else {
    junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 500) }, () => Math.floor(random() * 256)));
  }
  await appendFile(path, junk);
}

/** Reopens the log and checks it against the promises; returns the state as the new baseline. */
async function verify(dir: string, promises: Promises, round: number): Promise<{ tornTailBytes: number; lastIndex: number }> {
  const wal = await Wal.open(dir, { segmentBytes: 32 * 1024, sync: 'always' });
  try {
    const where = `after kill ${round}`;
    if (promises.truncating !== undefined && wal.lastIndex === promises.truncating) {
      // The interrupted truncation took effect: the state after it.
      for (const index of promises.terms.keys()) if (index > promises.truncating) promises.terms.delete(index);
    }
    promises.truncating = undefined;
    const acked = [...promises.terms.keys()];
    const highestAcked = acked.length ? Math.max(...acked) : 0;
    assert.ok(wal.lastIndex >= highestAcked, `${where}: lastIndex ${wal.lastIndex} lost acknowledged entries up to ${highestAcked}`);
    assert.ok(wal.firstIndex <= Math.max(1, promises.compactedBefore), `${where}: firstIndex ${wal.firstIndex} compacted more than asked`);
    assert.ok(wal.hardState.commit >= promises.commit, `${where}: commit ${wal.hardState.commit} < acknowledged ${promises.commit}`);
    assert.ok(wal.hardState.commit <= wal.lastIndex, `${where}: commit past the last entry`);
    const entries = wal.lastIndex >= wal.firstIndex ? await wal.entries(wal.firstIndex, wal.lastIndex + 1) : [];
    assert.is(entries.length, wal.lastIndex - wal.firstIndex + 1);
    let previousTerm = wal.term(wal.firstIndex - 1) as number;
    for (const entry of entries) {
      assert.ok(isIntact(entry, crashEntrySize(entry.index)), `${where}: entry ${entry.index} damaged`);
      assert.ok(entry.term >= previousTerm, `${where}: term goes down at ${entry.index} (a truncated entry came back?)`);
      previousTerm = entry.term;
      const promised = promises.terms.get(entry.index);
      if (promised !== undefined) assert.is(entry.term, promised, `${where}: entry ${entry.index} has term ${entry.term}, acknowledged ${promised}`);
    }
    for (const index of acked) {
      if (index >= wal.firstIndex) assert.ok(wal.term(index) !== undefined, `${where}: acknowledged entry ${index} missing`);
    }
    // What is on disk now is what the next child continues from.
    promises.terms = new Map(entries.map((e) => [e.index, e.term]));
    promises.commit = wal.hardState.commit;
    return { tornTailBytes: wal.recovery.tornTailBytes, lastIndex: wal.lastIndex };
  } finally {
    await wal.close();
  }
}

test(`SIGKILL at random moments ${KILLS} times (some with a torn final write): every acknowledged entry survives intact`, async () => {
  const seed = Number(process.env.WAL_CRASH_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const dir = await tempDir('tsraft-wal-crash-');
  const promises: Promises = { terms: new Map(), commit: 0, compactedBefore: 0, truncating: undefined };
  let totalAcks = 0;
  let tornTails = 0;
  let lastIndex = 0;
  try {
    for (let round = 1; round <= KILLS; round++) {
      const delayMs = 10 + Math.floor(random() * 250);
      try {
        const { acks } = await runChildUntilKilled(dir, seed * 1000 + round, delayMs, promises);
        totalAcks += acks;
        if (random() < 0.5) await appendTornWrite(dir, random);
        const result = await verify(dir, promises, round);
        if (result.tornTailBytes > 0) tornTails++;
        lastIndex = result.lastIndex;
      } catch (error) {
        (error as Error).message += ` (WAL_CRASH_SEED=${seed}, round ${round})`;
        throw error;
      }
    }
    assert.ok(totalAcks > KILLS, `children acknowledged ${totalAcks} saves`);
    console.log(`  crash test: ${KILLS} kills, ${totalAcks} acknowledged operations, ${tornTails} torn tails cut, log at ${lastIndex} (seed ${seed})`);
  } finally {
    await removeDir(dir);
  }
});

test.run();
