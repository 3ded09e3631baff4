// A SnapshotKeeper over a fake host that models what Node does with it:
// committed entries go to `commit()`, which defers them while the keeper holds applies and
// applies them in order otherwise; applying out of order is recorded (Node stops on it).
import type { Writable } from 'node:stream';
import { EntryType, type Entry, type SnapshotMeta } from '../../src/core/messages.js';
import { SnapshotKeeper, type SnapshotHandler, type SnapshotHost } from '../../src/snapshot/keeper.js';
import { Never, type SnapshotPolicy } from '../../src/snapshot/policy.js';
import { SnapshotStore } from '../../src/snapshot/store.js';
import { membership, removeDir, tempDir, writePayload } from './helpers.js';

export class FakeHost implements SnapshotHost {
  applied = 0;
  running_ = true;
  installPending_ = false;
  /** Errors Node would have stopped on (an entry applied out of order). */
  outOfOrder: string[] = [];
  compacted: Array<{ index: number; keepFrom: number | undefined }> = [];
  lines: Array<{ level: string; line: string }> = [];
  refused: string[] = [];
  wakes = 0;
  /** Called after each deferred batch applies (a test may commit more entries then). */
  afterBatch: (() => void) | undefined;
  keeper!: SnapshotKeeper;

  appliedIndex(): number {
    return this.applied;
  }
  snapshotMetaAt(): Pick<SnapshotMeta, 'term' | 'membership'> {
    return { term: 1, membership: membership() };
  }
  installPending(): boolean {
    return this.installPending_;
  }
  sessionRecords(): [] {
    return [];
  }
  async compact(meta: SnapshotMeta, keepFrom: number | undefined): Promise<void> {
    this.compacted.push({ index: meta.index, keepFrom });
  }
  applyDeferred(deferred: Entry[]): void {
    if (!this.running_) return;
    this.applyInOrder(deferred);
    this.afterBatch?.();
  }
  running(): boolean {
    return this.running_;
  }
  wake(): void {
    this.wakes++;
  }
  observeSave(): void {}
  snapshotRefused(side: 'received' | 'sent'): void {
    this.refused.push(side);
  }
  log(level: 'info' | 'warn' | 'error', line: string): void {
    this.lines.push({ level, line });
  }

  /** As Node.apply: entries just committed. */
  commit(entries: Entry[]): void {
    if (this.keeper.holdsApplies) this.keeper.defer(entries);
    else this.applyInOrder(entries);
  }

  private applyInOrder(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index !== this.applied + 1) this.outOfOrder.push(`entry ${e.index} after ${this.applied}`);
      this.applied = e.index;
    }
    this.keeper.applied(entries.length);
  }
}

/** Entries [from, from + n). */
export function entries(from: number, n: number): Entry[] {
  return Array.from({ length: n }, (_, i) => ({ index: from + i, term: 1, type: EntryType.Normal, data: new Uint8Array(0) }));
}

/** A save that waits until `release()` is called, writing `applied` as it saw it then. */
export function gatedHandler(host: FakeHost): { handler: SnapshotHandler; release(): void; started(): boolean; savedAt: number[] } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const savedAt: number[] = [];
  const handler: SnapshotHandler = {
    async save(w: Writable): Promise<void> {
      started = true;
      await gate;
      savedAt.push(host.applied);
      await new Promise<void>((resolve, reject) => w.end(String(host.applied), (err?: Error | null) => (err ? reject(err) : resolve())));
    },
    async recover(): Promise<void> {},
  };
  return { handler, release, started: () => started, savedAt };
}

/** Runs `body` with a keeper over a fresh directory and a FakeHost; closes and removes both after. */
export async function withKeeper(
  body: (keeper: SnapshotKeeper, host: FakeHost, dir: string) => Promise<void>,
  policy: SnapshotPolicy = Never,
  entryThreshold = 0,
  /** Runs before the keeper recovers from `dir` (to put files there, set a handler). */
  before?: (keeper: SnapshotKeeper, host: FakeHost, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempDir('tsraft-keeper-');
  const host = new FakeHost();
  const keeper = new SnapshotKeeper(host, policy, entryThreshold, 5000);
  host.keeper = keeper;
  try {
    await before?.(keeper, host, dir);
    await keeper.recover(dir);
    await body(keeper, host, dir);
  } finally {
    host.running_ = false;
    await keeper.busy?.catch(() => undefined);
    await keeper.close();
    await removeDir(dir);
  }
}

/** Waits until `probe` holds (polling each 5 ms), for at most `ms`. */
export async function until(what: string, probe: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A leader's snapshot file, as a follower would receive it whole: written at `index` (term 7,
 * `payloadBytes` of payload) into a store in a temporary directory, removed after `body`.
 */
export async function withLeaderSnapshot(
  body: (snapshot: { meta: SnapshotMeta; bytes: Uint8Array }) => Promise<void>,
  index = 100,
  payloadBytes = 10_000,
): Promise<void> {
  const leaderDir = await tempDir('tsraft-leader-');
  try {
    const leader = await SnapshotStore.open(leaderDir);
    const writer = await leader.create({ index, term: 7, membership: membership() });
    await writePayload(writer, index, payloadBytes);
    const snap = await writer.commit();
    await body({ meta: snap.meta, bytes: await leader.readChunk(snap, 0, snap.meta.size) });
  } finally {
    await removeDir(leaderDir);
  }
}

/** Applies entries 1–5 and has the keeper save a snapshot at 5 with `save`; resolves when it is taken. */
export async function snapshotAtFive(keeper: SnapshotKeeper, host: FakeHost, save: (w: Writable) => Promise<void>): Promise<void> {
  keeper.setHandler({ save, async recover(): Promise<void> {} });
  host.commit(entries(1, 5));
  const asked = keeper.ask();
  await keeper.maybeTake();
  await keeper.busy;
  await keeper.maybeTake();
  const at = await asked;
  if (at !== 5) throw new Error(`the snapshot was taken at ${at}, not 5`);
}

