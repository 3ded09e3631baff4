// From a second mutation review of src/snapshot/keeper.ts (failed, finish): a snapshot the policy takes that
// fails is tried again after 1 s, then 2, 4, ... doubling up to a minute, and a success starts the
// count over. Mutants: the delay not doubled (a save failing for good, a full disk, tried and
// logged every second for ever); not capped at 60 s (a disk freed after a day of failures waited
// hours for the next snapshot while the log grew); `this.failures = 0` dropped from finish() (one
// failure after a success waited as long as the last of an earlier run of failures).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import { entries, withKeeper } from './keeper-support.js';

/** performance.now() moved forward by hand (the keeper reads its clock there), restored after `body`. */
async function withSkewedClock(body: (advance: (ms: number) => void) => Promise<void>): Promise<void> {
  const realNow = performance.now.bind(performance);
  let skewMs = 0;
  performance.now = () => realNow() + skewMs;
  try {
    await body((ms) => (skewMs += ms));
  } finally {
    performance.now = realNow;
  }
}

test('a failing policy snapshot is tried again after 1, 2, 4 ... s up to 60 s, and after a success the delay starts at 1 s again', async () => {
  await withSkewedClock(async (advance) => {
    await withKeeper(
      async (keeper, host) => {
        let failing = true;
        let saves = 0;
        keeper.setHandler({
          async save(w: Writable): Promise<void> {
            saves++;
            if (failing) throw new Error('disk full (test)');
            await new Promise<void>((resolve) => w.end('state', () => resolve()));
          },
          async recover(): Promise<void> {},
        });
        /** A turn of the run loop after a tick, as Node's: compacts to a saved snapshot, starts one due. */
        const turn = async (): Promise<void> => {
          keeper.tick();
          await keeper.maybeTake();
          await keeper.busy;
        };
        const lastDelay = (): number => {
          const line = host.lines.filter((l) => l.level === 'error').at(-1)?.line ?? '';
          const m = /tried again in (\d+) s/.exec(line);
          if (!m) throw new Error(`no retry delay logged: ${line}`);
          return Number(m[1]);
        };
        host.commit(entries(1, 5)); // the entry threshold: due
        await turn();
        assert.is(saves, 1);
        const delays = [lastDelay()];
        for (let i = 0; i < 8; i++) {
          const delayMs = delays.at(-1)! * 1000;
          advance(delayMs - 100);
          await turn();
          assert.is(saves, i + 1, `not tried again before its delay of ${delayMs / 1000} s`);
          advance(200);
          await turn();
          assert.is(saves, i + 2, `tried again once its delay of ${delayMs / 1000} s passed`);
          delays.push(lastDelay());
        }
        assert.equal(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // The disk is freed: the next try succeeds, and a later failure waits 1 s again.
        failing = false;
        advance(60_100);
        await turn();
        await keeper.maybeTake(); // compacts to it
        assert.equal(host.compacted.map((c) => c.index), [5]);
        failing = true;
        host.commit(entries(6, 5));
        await turn();
        assert.is(saves, 11);
        assert.is(lastDelay(), 1, 'the count of failures starts over after a success');
      },
      undefined,
      5,
    );
  });
});

test.run();
