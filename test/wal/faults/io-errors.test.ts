// An I/O error (EIO, or ENOSPC after a partial write) at any file-system step
// of a scenario, in a process that goes on. The failed operation rejects with WalIOError; every
// operation queued after it (already called, not awaited) and every later call rejects too, so
// nothing resolves as if durable; the log then closes and reopens at the state before or after
// the failed operation.
import { register } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

register('./fault-hooks.mjs', import.meta.url);
const { controller, apply, step, matches } = await import('./harness.js');
const { Wal, WalIOError } = await import('../../../wal/index.js');
type Op = import('./harness.js').Op;
type ModelState = import('./harness.js').ModelState;

const OPS: Op[] = [
  { kind: 'save', from: 1, to: 3, term: 1, hs: { term: 1, vote: 1, commit: 0 } },
  { kind: 'save', from: 4, to: 6, term: 1 },
  { kind: 'save', hs: { term: 1, vote: 1, commit: 3 }, lazy: true },
  { kind: 'save', from: 7, to: 12, term: 1 },
  { kind: 'truncate', index: 8 },
  { kind: 'save', hs: { term: 2, vote: 0, commit: 5 } },
  { kind: 'save', from: 9, to: 16, term: 2 },
  { kind: 'compact', index: 9 },
  { kind: 'reset', index: 20, term: 3 },
  { kind: 'save', from: 21, to: 25, term: 3 },
  { kind: 'save', hs: { term: 2, vote: 0, commit: 22 }, lazy: true },
  { kind: 'save', from: 26, to: 30, term: 3 },
];
const OPTIONS = { sync: 'always' as const, segmentBytes: 512, cacheBytes: 0 };

test('an I/O error at any step: the op and everything after it reject; reopen gives the state before or after it', async () => {
  const c = controller() as ReturnType<typeof controller> & { errorAt: Map<number, { code: string; partial?: boolean }> };
  // Reference run for the model and the step count.
  let dir = await mkdtemp(join(tmpdir(), 'tsraft-eio-'));
  let wal = await Wal.open(dir, OPTIONS);
  const states: ModelState[] = [{ first: 1, last: 0, terms: new Map([[0, 0]]), hs: { term: 0, vote: 0, commit: 0 }, durable: { term: 0, vote: 0, commit: 0 } }];
  Object.assign(c, { armed: true, count: 0, failAt: Infinity, dead: false, log: [], pending: [] });
  c.errorAt = new Map();
  for (const op of OPS) states.push(step(states.at(-1)!, op, await apply(wal, op), wal));
  const steps = c.count;
  const log = [...c.log];
  c.armed = false;
  await wal.close();
  await rm(dir, { recursive: true, force: true });

  let cases = 0;
  for (let at = 1; at <= steps; at++) {
    const isWrite = log[at - 1]!.split(' ')[1] === 'write';
    for (const code of isWrite ? ['EIO', 'ENOSPC-partial'] : ['EIO']) {
      cases++;
      dir = await mkdtemp(join(tmpdir(), 'tsraft-eio-'));
      wal = await Wal.open(dir, OPTIONS);
      Object.assign(c, { armed: true, count: 0, failAt: Infinity, dead: false, log: [], pending: [] });
      c.errorAt = new Map([[at, { code: code.replace('-partial', ''), partial: code.endsWith('partial') }]]);
      // Every op called at once, none awaited: they queue.
      const settled = await Promise.allSettled(OPS.map((op) => apply(wal, op)));
      const failed = settled.findIndex((s) => s.status === 'rejected');
      assert.ok(failed >= 0, `step ${at}: the injected error surfaced`);
      for (let i = failed; i < OPS.length; i++) {
        const s = settled[i]!;
        assert.is(s.status, 'rejected', `step ${at} ${code}: op ${i} after the failed op ${failed} must not resolve`);
        assert.instance((s as PromiseRejectedResult).reason, WalIOError, `op ${i}: ${(s as PromiseRejectedResult).reason}`);
      }
      // Later calls, lazy ones included, reject as well.
      await wal.save({ hardState: { term: 9, vote: 9, commit: 0 }, lazy: true }).then(
        () => assert.unreachable('a lazy save after a failure resolved'),
        (e) => assert.instance(e, WalIOError),
      );
      c.armed = false;
      c.errorAt = new Map();
      await wal.close();
      const reopened = await Wal.open(dir, OPTIONS);
      const before = await matches(reopened, states[failed]!, OPS[failed]!.kind === 'compact' ? [states[failed]!.first, states[failed + 1]!.first] : undefined);
      const after = before && (await matches(reopened, states[failed + 1]!, OPS[failed]!.kind === 'compact' ? [states[failed]!.first, states[failed + 1]!.first] : undefined));
      assert.ok(!before || !after, `step ${at} ${code}, op ${failed}: ${before} / ${after}`);
      await reopened.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(`  ${steps} steps, ${cases} injected errors`);
});

test.run();
