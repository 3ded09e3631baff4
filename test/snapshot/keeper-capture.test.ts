// From a second mutation review of src/snapshot/keeper.ts (start): a capture is written while entries go on
// applying.
// - The entries applied while it is written are not in the snapshot, so they count toward the
//   next one (mutant: `covered` taken as everything counted at the end, not at the capture: with
//   an entry threshold the log then grew past it before the next snapshot was due).
// - The "capture has been written for N s" warning stops once it ended (mutant:
//   `this.capturing = undefined` dropped: logged every 10 s for ever after the first capture).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Writable } from 'node:stream';
import type { SnapshotHandler } from '../../src/snapshot/keeper.js';
import { entries, withKeeper } from './keeper-support.js';

/** A handler whose capture() records the applied index and is written when `release()` is called. */
function gatedCapture(appliedIndex: () => number): { handler: SnapshotHandler; release(): void; captures: number[] } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const captures: number[] = [];
  const handler: SnapshotHandler = {
    async save(): Promise<void> {
      throw new Error('save() called although capture() is set');
    },
    capture() {
      const at = appliedIndex();
      captures.push(at);
      return async (w: Writable) => {
        await gate;
        await new Promise<void>((resolve, reject) => w.end(String(at), (err?: Error | null) => (err ? reject(err) : resolve())));
      };
    },
    async recover(): Promise<void> {},
  };
  return { handler, release: () => release(), captures };
}

test('entries applied while a capture is written count toward the next snapshot (entry threshold)', async () => {
  await withKeeper(
    async (keeper, host) => {
      const gated = gatedCapture(() => host.applied);
      keeper.setHandler(gated.handler);
      host.commit(entries(1, 5));
      keeper.tick();
      assert.ok(keeper.hasWork, 'due: 5 entries applied');
      await keeper.maybeTake();
      assert.equal(gated.captures, [5]);
      host.commit(entries(6, 4)); // applied while the capture is written
      assert.is(host.applied, 9, 'entries go on applying during a capture');
      gated.release();
      await keeper.busy;
      await keeper.maybeTake(); // compacts to it
      assert.equal(host.compacted.map((c) => c.index), [5]);
      keeper.tick();
      assert.not.ok(keeper.hasWork, '4 entries past the snapshot: not due yet');
      host.commit(entries(10, 1));
      keeper.tick();
      assert.ok(keeper.hasWork, '5 entries past the snapshot at 5: due');
    },
    undefined,
    5,
  );
});

test('the warning of a long capture stops once the capture was written', async () => {
  const realNow = performance.now.bind(performance);
  let skewMs = 0;
  performance.now = () => realNow() + skewMs;
  try {
    await withKeeper(async (keeper, host) => {
      const gated = gatedCapture(() => host.applied);
      keeper.setHandler(gated.handler);
      host.commit(entries(1, 5));
      const asked = keeper.ask();
      await keeper.maybeTake();
      const warnings = (): number => host.lines.filter((l) => /snapshot capture has been written for/.test(l.line)).length;
      skewMs += 11_000;
      keeper.tick();
      assert.is(warnings(), 1, 'a capture written for 11 s is logged');
      gated.release();
      await keeper.busy;
      await keeper.maybeTake();
      assert.is(await asked, 5);
      for (let i = 0; i < 3; i++) {
        skewMs += 11_000;
        keeper.tick();
      }
      assert.is(warnings(), 1, 'no warning after the capture ended');
    });
  } finally {
    performance.now = realNow;
  }
});

test.run();
