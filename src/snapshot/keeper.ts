/**
 * A node's own snapshots, from its side of the run loop: when to take one (the policy, snapshot()
 * calls, a backoff after failures), the application's save running beside the run loop while
 * applying waits, the compaction that follows, the chunks served to lagging followers and the
 * snapshot received from the leader. The Node drives it; what it needs back from the Node is
 * {@link SnapshotHost}.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { sameSnapshot, type Entry, type SnapshotChunk, type SnapshotMeta } from '../core/messages.js';
import type { SessionRecord } from '../sessions.js';
import { SnapshotCorruptionError, SnapshotError } from './errors.js';
import { checkPolicy, type SnapshotPolicy } from './policy.js';
import type { SnapshotReceiver } from './receiver.js';
import { SnapshotScheduler } from './scheduler.js';
import { SendingSnapshots } from './sending.js';
import { SnapshotStore } from './store.js';
import type { StoredSnapshot } from './types.js';
import type { SnapshotWriter } from './writer.js';

/** The application's snapshot hooks (Node.setSnapshot): state may exceed memory, so both sides are streams. */
export interface SnapshotHandler {
  /**
   * Writes the context's state into `writable`, ends it, then resolves (the snapshot is sealed
   * once both happened; one that resolves with the stream still open is refused, the snapshot not
   * taken: writes still to come would be lost). No entry applies while it runs, so
   * it sees the state at the snapshot's index; the node goes on replicating meanwhile. It must not
   * wait for the node's own writes or reads (`do()`, `readIndex()`): they wait for it.
   */
  save(writable: Writable): Promise<void>;
  /**
   * Optional, in place of `save` when the context can take a point-in-time view of itself
   * cheaply (copy-on-write, a database snapshot): called between applies, at the snapshot's
   * index, it captures the state at once and returns a function that writes that capture and ends
   * the stream, as `save` does. Entries
   * go on applying while it writes, so no request waits for a snapshot.
   */
  capture?(): (writable: Writable) => Promise<void>;
  /**
   * Replaces the context's state with the one read from `readable`. For a snapshot received from
   * the leader it runs beside the run loop: no entry applies and no linearizable read is answered
   * until it resolves, but the context stays the application's, so anything it serves without the
   * node (local reads) should see the old state until the new one is whole (build, then swap).
   */
  recover(readable: Readable): Promise<void>;
}

/**
 * Why a save that resolved with its stream still open is refused: the snapshot is sealed only
 * once the application ended the stream, as a stream's writer does once it has written all.
 */
function unendedSaveMessage(saver: string, bytes: number): string {
  return (
    `${saver} resolved without ending the snapshot stream (${bytes} bytes written by then): the snapshot was not taken, since writes still to come would have been lost. ` +
    'End the writable once everything is written and resolve after that (await new Promise((resolve) => w.end(resolve)), or await stream.pipeline(source, w))'
  );
}

/** What the keeper needs from the node it serves. */
export interface SnapshotHost {
  /** The index of the state the context holds. */
  appliedIndex(): number;
  /** The term and membership a snapshot at `index` records. */
  snapshotMetaAt(index: number): Pick<SnapshotMeta, 'term' | 'membership'>;
  /**
   * Whether a snapshot received from the leader awaits installation: this node's own applied
   * index may then be behind the log's first entry (its term unknown), and the install replaces
   * the state anyway.
   */
  installPending(): boolean;
  /** The proposer sessions as of the applied index. */
  sessionRecords(): SessionRecord[];
  /**
   * Compacts the log behind a snapshot just saved, never past entry `keepFrom` (the one after the
   * fallback snapshot, when there is one). Its failure is fatal to the node.
   */
  compact(meta: SnapshotMeta, keepFrom: number | undefined): Promise<void>;
  /** Applies entries committed while the application saved (a batch of them), then turns the run loop. */
  applyDeferred(deferred: Entry[]): void;
  /** Whether the node still runs (a stopped node applies nothing). */
  running(): boolean;
  /** Turns the run loop (there is snapshot work: a snapshot saved to compact to). */
  wake(): void;
  observeSave(seconds: number): void;
  /**
   * Counts a snapshot that failed its check: one `received` from the leader, or this node's own
   * latest found corrupt or unreadable while `sent` to a follower.
   */
  snapshotRefused(side: 'received' | 'sent'): void;
  log(level: 'info' | 'warn' | 'error', line: string): void;
}

/** Longest wait before the policy tries a failed snapshot again. */
const RETRY_MAX_MS = 60_000;
/** A save, a capture being written or a received snapshot's recover running longer than this (or than the request timeout) is logged, and again at each such interval. */
const SAVE_WARN_MS = 10_000;
/**
 * Entries applied per turn of the event loop once a save ends: a long save leaves a backlog, and
 * applying it in one go would hold heartbeats and acks for as long. A turn also stops after
 * DRAIN_BATCH_BYTES of entry data (an entry alone may be bigger): ten overwrites of a 59 MiB value
 * applied in one turn held the event loop 5 s (found in an event-loop audit).
 */
const DRAIN_BATCH = 1024;
const DRAIN_BATCH_BYTES = 1024 * 1024;

/** The next batch of the backlog: up to DRAIN_BATCH entries and DRAIN_BATCH_BYTES of data (or one bigger entry alone). */
function takeDrainBatch(deferred: Entry[]): Entry[] {
  let n = 0;
  let bytes = 0;
  while (n < deferred.length && n < DRAIN_BATCH) {
    const size = deferred[n]!.data.byteLength;
    if (n > 0 && bytes + size > DRAIN_BATCH_BYTES) break;
    bytes += size;
    n++;
  }
  return deferred.splice(0, n);
}
/** A snapshot chunk still unreadable is logged again after this long. */
const CHUNK_FAILURE_RELOG_MS = 60_000;
/** The latest snapshot, unreadable for a lagging follower this long, is replaced by a new one. */
const UNREADABLE_REPLACE_MS = 60_000;
/** A snapshot being sent is read whole against its checksums at most this often. */
const REVERIFY_MS = 60_000;

/** A snapshot() call waiting for its snapshot. */
interface Asked {
  resolve(index: number): void;
  reject(err: Error): void;
}

/** See the module comment. */
export class SnapshotKeeper {
  private handler: SnapshotHandler | undefined;
  private scheduler: SnapshotScheduler;
  private store: SnapshotStore | undefined;
  private latestStored: StoredSnapshot | undefined;
  /** Snapshot files held open for transfers, so a transfer outlives newer snapshots (see sending.ts). */
  private readonly sending = new SendingSnapshots();
  private receiver: SnapshotReceiver | undefined;
  /** Snapshots the policy asked for that failed in a row, and when to try again (performance.now()). */
  private failures = 0;
  private retryAt = 0;
  /** Set at a tick when the policy wants a snapshot, so that an idle node's run loop turns to take it. */
  private due = false;
  /** snapshot() calls waiting for the run loop to take one. */
  private readonly asked: Asked[] = [];
  /** A snapshot being written (the application's save, then sealing the file). */
  private savingPromise: Promise<void> | undefined;
  /** A snapshot received from the leader being recovered into the context (recoverInBackground). */
  private recovering: Promise<void> | undefined;
  /** While the application's save or recover runs, committed entries wait in `deferred`: which one, since when and when to warn next (performance.now()). */
  private holding: 'save()' | 'recover()' | undefined;
  private holdingSince = 0;
  private holdingWarnAt = 0;
  /** While a capture is written (entries apply meanwhile): since when, and when to warn next (performance.now()). */
  private capturing: { since: number; warnAt: number } | undefined;
  /** After a save: the backlog in `deferred` applying a batch per turn; resolves when it is empty. */
  private drained: Promise<void> | undefined;
  /** Committed entries handed out while a save runs: they apply when it ends. */
  private readonly deferred: Entry[] = [];
  /** A snapshot saved and not yet compacted to, and the snapshot() calls it answers. */
  private saved: { stored: StoredSnapshot; covered: number; asked: Asked[]; ms: number } | undefined;
  /** The latest snapshot failing to be read for a follower: since when, the failure last logged ("index: message") and when. */
  private chunkFailure: { snap: StoredSnapshot; since: number; what: string; loggedAt: number } | undefined;
  /** A received snapshot's check that ended, for the run loop to report (takeCheck). */
  private checkResult: { meta: SnapshotMeta; ok: boolean } | undefined;
  /** The last check of a snapshot being sent (whole file against its checksums): of which, when it ended, whether it runs. */
  private lastVerify: { snap: StoredSnapshot; at: number; running: boolean } | undefined;
  /** The latest snapshot, found corrupt or unreadable: a new one (at the same index if nothing applied since) replaces it. */
  private toReplace: StoredSnapshot | undefined;
  /** Newer snapshot files were found corrupt at start: one is taken as soon as anything applied past the one recovered. */
  private replaceCorruptAtStart = false;
  private readonly saveWarnMs: number;

  /**
   * @param entryThreshold snapshot once this many entries applied, whatever the policy (0: none)
   * @param requestTimeoutMs the node's: a save longer than it (or than 10 s) is logged, since the
   * requests that wait for it time out
   */
  constructor(
    private readonly host: SnapshotHost,
    policy: SnapshotPolicy,
    private readonly entryThreshold: number,
    requestTimeoutMs: number,
  ) {
    this.scheduler = new SnapshotScheduler(policy, { now: performance.now(), entryThreshold });
    this.saveWarnMs = Math.min(SAVE_WARN_MS, Math.max(1, requestTimeoutMs));
  }

  // -------------------------------------------------------------------------------------------
  // Configuration and recovery

  setHandler(handler: SnapshotHandler): void {
    this.handler = handler;
  }

  /** A new policy counts from the last snapshot as the old one did: the changes applied since, and its time. */
  setPolicy(policy: SnapshotPolicy): void {
    checkPolicy(policy);
    const old = this.scheduler;
    this.scheduler = new SnapshotScheduler(policy, { now: old.lastSnapshotAt, entryThreshold: this.entryThreshold });
    this.scheduler.applied(old.changes);
  }

  /**
   * Opens the snapshot directory (keeping `retain` snapshots, the store's default if undefined:
   * see NodeOptions.snapshotsKept) and recovers the latest snapshot into the context; returns it.
   */
  async recover(dir: string, retain?: number): Promise<StoredSnapshot | undefined> {
    const onPruneError = (err: Error): void => this.host.log('warn', `could not delete an older snapshot after taking one (${err.message}); tried again after the next snapshot`);
    this.store = await SnapshotStore.open(dir, retain === undefined ? { onPruneError } : { retain, onPruneError });
    this.latestStored = await this.store.latest();
    for (const err of this.store.corrupt) this.host.log('error', `${err.message}; skipped (the next snapshot, taken once the log is replayed, replaces it)`);
    // latest() skipped newer files: take a snapshot once the log is replayed, not when the policy
    // next wants one, so that the member soon has a fallback again.
    this.replaceCorruptAtStart = this.store.corrupt.length > 0;
    if (this.latestStored) {
      if (!this.handler) throw new Error(`a snapshot exists in ${this.store.dir} but no snapshot handler is set: call setSnapshot() before start()`);
      try {
        await this.handler.recover(this.store.open(this.latestStored));
      } catch (err) {
        // The application's bare message ("boom") did not say that a snapshot was being read, nor which.
        throw new Error(`recovering snapshot ${this.latestStored.meta.index} (${this.latestStored.path}) at start failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return this.latestStored;
  }

  /**
   * The latest snapshot's metadata (its `size` is the file's bytes): the one recovered at start,
   * saved, or installed from the leader; undefined for none. For metrics, read at scrape time.
   */
  get latestMeta(): SnapshotMeta | undefined {
    return this.latestStored?.meta;
  }

  /** Forgets what recover() opened (a failed start). */
  forget(): void {
    this.store = undefined;
    this.latestStored = undefined;
    void this.sending.close();
  }

  // -------------------------------------------------------------------------------------------
  // Taking snapshots

  /** Asks for a snapshot at the applied index; the run loop takes it (call kick after). */
  ask(): Promise<number> {
    if (!this.handler) throw new Error('no snapshot handler is set: call setSnapshot()');
    return new Promise((resolve, reject) => this.asked.push({ resolve, reject }));
  }

  /** Whether the run loop has snapshot work: a snapshot asked for, due, saved and not compacted to, or a received one checked. */
  get hasWork(): boolean {
    return this.asked.length > 0 || this.due || this.saved !== undefined || this.checkResult !== undefined;
  }

  /** At a tick: notes a snapshot the policy wants, and logs a save or recover running long. */
  tick(): void {
    this.due ||= this.handler !== undefined && this.snapshotDue();
    const now = performance.now();
    const capturing = this.capturing;
    if (capturing && now >= capturing.warnAt) {
      capturing.warnAt = now + this.saveWarnMs;
      const seconds = ((now - capturing.since) / 1000).toFixed(1);
      this.host.log('warn', `the application's snapshot capture has been written for ${seconds} s; entries go on applying, but no other snapshot and no compaction happens until it ends, and stop() waits for it`);
    }
    if (!this.holding || now < this.holdingWarnAt) return;
    this.holdingWarnAt = now + this.saveWarnMs;
    this.host.log(
      'warn',
      `the application's snapshot ${this.holding} has run for ${((now - this.holdingSince) / 1000).toFixed(1)} s; ${this.deferred.length} committed entries wait to apply until it ends, and requests that need them time out after ${this.saveWarnMs / 1000} s (replication and voting go on)`,
    );
  }

  /**
   * While the application saves (the context must hold still) or recovers a received snapshot
   * (the context is being replaced), and until the backlog is applied, committed entries queue:
   * the node hands them here.
   */
  get holdsApplies(): boolean {
    return this.holding !== undefined || this.deferred.length > 0;
  }

  /** Committed entries wait behind the application's `what`, from now on. */
  private hold(what: 'save()' | 'recover()'): void {
    const now = performance.now();
    this.holding = what;
    this.holdingSince = now;
    this.holdingWarnAt = now + this.saveWarnMs;
  }

  defer(entries: readonly Entry[]): void {
    for (const e of entries) this.deferred.push(e);
  }

  /** Counts applied entries toward the policy's entry threshold. */
  applied(n: number): void {
    if (n > 0) this.scheduler.applied(n);
  }

  /** Whether the application's recover() of a snapshot received from the leader runs: the context is being replaced. */
  get recoverRunning(): boolean {
    return this.holding === 'recover()';
  }

  /** A snapshot being written or recovered, or the backlog still applying (stop() waits for each). */
  get busy(): Promise<void> | undefined {
    return this.savingPromise ?? this.recovering ?? this.drained;
  }

  /**
   * Called by the run loop between Readys, never while a local write is in flight: compacts to a
   * snapshot just saved, then starts one if asked for or due by the policy. Throws only when the
   * compaction fails (fatal). Starts none while a snapshot from the leader awaits installation:
   * the calls asked then wait for the install and answer with its index.
   */
  async maybeTake(): Promise<void> {
    this.due = false;
    if (this.saved) await this.finish();
    // (Nor while a received snapshot that checked out waits to be taken: it would wait for the save.)
    if (this.savingPromise || this.recovering || this.drained || !this.handler || this.host.installPending() || this.checkResult?.ok) return;
    if (this.asked.length === 0 && !this.snapshotDue()) return;
    await this.start(this.asked.splice(0));
  }

  /** Whether the latest snapshot was found corrupt or unreadable and no new one replaced it yet. */
  private replacing(): boolean {
    return this.toReplace !== undefined && this.toReplace === this.latestStored;
  }

  /**
   * Whether a snapshot is due now, by the policy or to replace a corrupt latest one (and the delay
   * after a failed one has passed).
   */
  private snapshotDue(): boolean {
    if (this.savingPromise || this.saved) return false;
    const now = performance.now();
    const pastRecovered = this.host.appliedIndex() > (this.latestStored?.meta.index ?? 0);
    return now >= this.retryAt && (this.replacing() || (this.replaceCorruptAtStart && pastRecovered) || this.scheduler.due(now));
  }

  /**
   * Starts the application's save of the state at the applied index, beside the run loop:
   * replication, commits, votes and heartbeats go on, and only applying waits (the node defers
   * committed entries while {@link holdsApplies}), so the context holds the state at that index
   * throughout; with the handler's `capture`, applying goes on too. The save used to hold the
   * whole run loop: one longer than an election timeout cost the leader its leadership, at every
   * snapshot.
   */
  private async start(asked: Asked[]): Promise<void> {
    const index = this.host.appliedIndex();
    const latest = this.latestStored?.meta.index ?? 0;
    if (index < latest || (index === latest && !this.replacing())) {
      this.scheduler.taken(performance.now()); // nothing new to snapshot: not due again at every tick
      for (const a of asked) a.resolve(latest);
      return;
    }
    const covered = this.scheduler.changes;
    const started = performance.now();
    let writer: SnapshotWriter;
    try {
      const target = this.host.snapshotMetaAt(index);
      // Taken between applies: the sessions are the ones as of `index`, like the context.
      writer = await this.store!.create({ index, term: target.term, membership: target.membership, sessions: this.host.sessionRecords() });
    } catch (err) {
      this.failed(index, err as Error, asked);
      return;
    }
    const handler = this.handler!;
    // A capture takes the state at `index` now, and entries go on applying while it is written;
    // a plain save reads the context itself, which must hold still until it ends.
    let writeCapture: ((writable: Writable) => Promise<void>) | undefined;
    try {
      writeCapture = handler.capture?.();
    } catch (err) {
      await writer.abort().catch(() => undefined);
      this.failed(index, err as Error, asked);
      return;
    }
    if (writeCapture) this.capturing = { since: performance.now(), warnAt: performance.now() + this.saveWarnMs };
    else this.hold('save()');
    this.savingPromise = (async () => {
      try {
        // A save that waits for 'drain' on a stream the disk failed would never end, and
        // applying would wait for it for good (found in review: ENOSPC with the README's save).
        const saving = Promise.resolve(writeCapture ? writeCapture(writer) : handler.save(writer));
        saving.catch(() => undefined); // when the stream's failure wins, the save's own outcome is moot
        await Promise.race([saving, writer.failure()]);
        // Sealed as it stands, a save that resolved before its writes (a pipe not awaited, writes
        // put off to a later turn) made a truncated snapshot the log was then compacted to: its
        // state was lost at the next restart, and a follower installing it served reads from it
        // (found in a user trial).
        if (!writer.writableEnded) throw new SnapshotError(unendedSaveMessage(writeCapture ? 'capture()\'s write function' : 'save()', writer.bytesWritten));
      } catch (err) {
        if (!writeCapture) this.release();
        await writer.abort().catch(() => undefined); // the save's error is the one to report
        throw err;
      }
      // The context is no longer read: entries apply while the file is sealed (fsync, rename).
      if (!writeCapture) this.release();
      return writer.commit();
    })()
      .then(
        (stored) => {
          const ms = performance.now() - started;
          this.host.observeSave(ms / 1000);
          this.saved = { stored, covered, asked, ms };
          this.host.wake(); // the run loop compacts to it
        },
        (err: Error) => this.failed(index, err, asked),
      )
      .finally(() => {
        this.savingPromise = undefined;
        this.capturing = undefined;
      });
  }

  /**
   * The application's save or recover ended: the entries committed meanwhile apply now, in order, a
   * batch per turn of the event loop; entries committed until the backlog is gone queue behind it.
   */
  private release(): void {
    this.holding = undefined;
    let done!: () => void;
    this.drained = new Promise<void>((resolve) => (done = resolve));
    const step = (): void => {
      this.host.applyDeferred(takeDrainBatch(this.deferred));
      if (this.deferred.length > 0 && this.host.running()) {
        setImmediate(step);
        return;
      }
      this.deferred.length = 0; // a stopped node applies nothing more
      this.drained = undefined;
      done();
    };
    step();
  }

  /** A snapshot that was not written: nothing changed (the log is kept), so the node keeps serving. */
  private failed(index: number, err: Error, asked: Asked[]): void {
    // Logged and backed off also when snapshot() callers hear of it: a policy snapshot due in the
    // same batch was tried again at the next tick, and nothing was logged (found in review).
    for (const a of asked) a.reject(err);
    this.failures++;
    const delayMs = Math.min(RETRY_MAX_MS, 1000 * 2 ** (this.failures - 1));
    this.retryAt = performance.now() + delayMs;
    this.host.log('error', `snapshot at ${index} not written: ${err.message}; the log is kept until a snapshot succeeds (tried again in ${delayMs / 1000} s)`);
  }

  /** Compacts the log behind the snapshot just saved. A failure here is the WAL's own: fatal. */
  private async finish(): Promise<void> {
    const { stored, covered, asked, ms } = this.saved!;
    this.saved = undefined;
    this.latestStored = stored;
    try {
      const fallback = await this.store!.fallbackBefore(stored.meta.index);
      await this.host.compact(stored.meta, fallback === undefined ? undefined : fallback + 1);
    } catch (err) {
      for (const a of asked) a.reject(err as Error);
      throw err;
    }
    this.scheduler.taken(performance.now(), covered);
    this.replaceCorruptAtStart = false;
    this.failures = 0;
    this.retryAt = 0;
    this.host.log('info', `snapshot at ${stored.meta.index} (${stored.meta.size} bytes, saved in ${Math.round(ms)} ms)`);
    for (const a of asked) a.resolve(stored.meta.index);
  }

  // -------------------------------------------------------------------------------------------
  // Sending and receiving

  /**
   * Bytes of a snapshot for a chunk a lagging follower needs: of the latest, or of an older one
   * whose transfer is under way (its file held open, see sending.ts). 'gone' for another snapshot
   * or when an older one can no longer be read: the core then starts the transfer again with the
   * latest. Undefined when the latest cannot be read now. A failed read counts as
   * a lost message (the core sends the chunk again after the next heartbeat round): it used to
   * stop the leader, costing the cluster its leader over one follower's catch-up, while a
   * transient EIO or EMFILE heals by itself. A transfer's start also checks the whole file, beside
   * the run loop: a file found corrupt then, or unreadable for a minute, is replaced by a fresh
   * snapshot (the follower would refuse its bytes, or wait, without end).
   */
  async readChunk(meta: SnapshotMeta, offset: number, length: number): Promise<Uint8Array | undefined | 'gone'> {
    const snap = this.latestStored;
    if (!snap || !sameSnapshot(snap.meta, meta)) {
      // A transfer begun before the latest was taken goes on with its open file.
      const older = this.sending.find(meta);
      if (!older || this.store!.isCorrupt(older.path)) return 'gone';
      const store = this.store!;
      return this.sending.open(older).then((fh) => store.readChunk(older, offset, length, fh)).catch((err: Error) => {
        this.sending.forget(older);
        this.host.log('warn', `snapshot ${older.meta.index} being sent can no longer be read (${err.message}); sending snapshot ${snap?.meta.index ?? 0} instead`);
        return 'gone' as const;
      });
    }
    if (this.toReplace === snap) return undefined;
    if (offset === 0) this.verifySent(snap);
    try {
      const bytes = await this.store!.readChunk(snap, offset, length, await this.sending.open(snap));
      if (this.chunkFailure !== undefined) {
        this.chunkFailure = undefined;
        this.host.log('info', `snapshot ${snap.meta.index} can be read again; sending it to the lagging follower`);
      }
      return bytes;
    } catch (err) {
      this.chunkReadFailed(snap, err as Error);
      return undefined;
    }
  }

  /**
   * Reads the snapshot being sent whole against its checksums, beside the run loop (a large file
   * read inline would hold heartbeats for as long), at most once a minute per snapshot.
   */
  private verifySent(snap: StoredSnapshot): void {
    const now = performance.now();
    const last = this.lastVerify;
    if (last?.snap === snap && (last.running || now - last.at < REVERIFY_MS)) return;
    const entry = { snap, at: now, running: true };
    this.lastVerify = entry;
    this.store!.verify(snap).then(
      () => {
        entry.running = false;
        entry.at = performance.now();
      },
      (err: Error) => {
        entry.running = false;
        if (this.host.running() && this.latestStored === snap) this.chunkReadFailed(snap, err);
      },
    );
  }

  private chunkReadFailed(snap: StoredSnapshot, err: Error): void {
    const now = performance.now();
    const what = `${snap.meta.index}: ${err.message}`;
    const failure = this.chunkFailure?.snap === snap ? this.chunkFailure : (this.chunkFailure = { snap, since: now, what: '', loggedAt: 0 });
    if (err instanceof SnapshotCorruptionError || now - failure.since >= UNREADABLE_REPLACE_MS) {
      this.chunkFailure = undefined;
      this.toReplace = snap;
      this.store!.markCorrupt(snap.path, err.message);
      this.sending.forget(snap);
      this.due = true;
      this.host.snapshotRefused('sent');
      this.host.log('error', `snapshot ${snap.meta.index} (${snap.path}) cannot be sent to a lagging follower: ${err.message}; a new snapshot is taken to replace it`);
      this.host.wake();
      return;
    }
    if (failure.what !== what || now - failure.loggedAt >= CHUNK_FAILURE_RELOG_MS) {
      failure.what = what;
      failure.loggedAt = now;
      this.host.log(
        'error',
        `cannot read a chunk of snapshot ${snap.meta.index} (${snap.path}) for a lagging follower: ${err.message}; it is tried again at each heartbeat round, and replaced by a new snapshot if it stays unreadable for ${UNREADABLE_REPLACE_MS / 1000} s`,
      );
    }
  }

  /**
   * Stores chunks received from the leader (a chunk at offset 0, or of another snapshot, starts
   * over). Bytes that do not fit the file being received (a chunk the core should not have let
   * through) drop it: the check at the end fails, and the leader sends the snapshot again.
   */
  async receiveChunks(chunks: readonly SnapshotChunk[]): Promise<void> {
    for (const chunk of chunks) {
      const r = this.receiver;
      if (!r || chunk.offset === 0 || !sameSnapshot(r.meta, chunk.meta)) {
        await r?.abort().catch(() => undefined);
        this.receiver = undefined;
        try {
          this.receiver = await this.store!.beginReceive(chunk.meta);
        } catch (err) {
          // Bad input from the peer, as bytes that do not fit are: a size too small for a
          // snapshot file stopped the follower (found in review).
          if (!(err instanceof RangeError || err instanceof SnapshotError)) throw err;
          this.host.log('warn', `snapshot ${chunk.meta.index} announced by the leader is malformed: ${err.message}; its chunk is dropped`);
          continue;
        }
      }
      try {
        await this.receiver!.write(chunk.offset, chunk.data);
      } catch (err) {
        if (!(err instanceof SnapshotError)) throw err;
        this.host.log('warn', `snapshot ${chunk.meta.index}: ${err.message}; the transfer starts over`);
        await this.receiver?.abort().catch(() => undefined);
        this.receiver = undefined;
      }
    }
  }

  /**
   * Checks the snapshot whose last chunk was just stored (fsync, then its checksums and the
   * metadata the leader announced) before the node lets it replace the log. A failed check is
   * logged and counted, the bytes are dropped, and the leader sends the snapshot again: corrupt
   * bytes from the leader (its disk, the wire) are bad input, not a reason to stop.
   * @returns whether the file checked out; throws only on a local failure (fsync, reading back)
   */
  async checkReceived(meta: SnapshotMeta): Promise<boolean> {
    const receiver = this.receiver && sameSnapshot(this.receiver.meta, meta) ? this.receiver : undefined;
    try {
      if (!receiver) throw new SnapshotError(`its chunks were not stored here`);
      await receiver.check();
      return true;
    } catch (err) {
      // Bytes missing or damaged: the transfer's fault, sent again. A local failure (fsync) is fatal.
      if (!(err instanceof SnapshotError)) throw err;
      await receiver?.abort();
      if (receiver && this.receiver !== receiver) return false; // a newer transfer replaced it meanwhile, or the node stopped
      if (!this.host.running()) return false; // cut short by stop(): not a corrupt snapshot
      this.receiver = undefined;
      this.host.snapshotRefused('received');
      this.host.log('error', `snapshot ${meta.index} received from the leader is corrupt (${err.message}); dropped, and the leader sends it again`);
      return false;
    }
  }

  /**
   * Checks the snapshot whose last chunk was just stored (checkReceived) beside the run loop: a
   * large file's read would hold heartbeats and votes for as long. The result waits for the run
   * loop ({@link takeCheck}); a local failure goes to `failed`.
   */
  checkInBackground(meta: SnapshotMeta, failed: (err: Error) => void): void {
    this.checkReceived(meta).then(
      (ok) => {
        this.checkResult = { meta, ok };
        this.host.wake();
      },
      (err: Error) => {
        if (this.host.running()) failed(err);
      },
    );
  }

  /**
   * The result of a background check, for the run loop to report to the core, between Readys. A
   * passed check waits until no save of this node's own (nor an earlier snapshot's recover) runs,
   * the log is compacted to a save that finished (maybeTake), and the backlog has applied: the
   * snapshot's install replaces the state that save reads, and a compaction after the install
   * would move the log's and the membership history's base back to the older index. Until then
   * the node goes on answering, on its old log. (No save starts while it waits: maybeTake.)
   */
  takeCheck(): { meta: SnapshotMeta; ok: boolean } | undefined {
    const result = this.checkResult;
    if (!result || (result.ok && (this.savingPromise || this.saved || this.recovering || this.drained))) return undefined;
    this.checkResult = undefined;
    return result;
  }

  /** Deletes the checked file of the snapshot `meta` received, which the node does not install. */
  async dropReceived(meta: SnapshotMeta): Promise<void> {
    const receiver = this.receiver;
    if (!receiver || receiver.isOpen || !sameSnapshot(receiver.meta, meta)) return; // a newer transfer's
    await receiver.abort();
    if (this.receiver === receiver) this.receiver = undefined;
  }

  /** Bytes of the snapshot being received from the leader stored so far (0 for none): a joiner's progress. */
  get receivedBytes(): number {
    return this.receiver?.nextOffset ?? 0;
  }

  /**
   * Deletes the partial file of a transfer the core gave up (its term ended, or appends caught the
   * node up past it: Raft.receivingSnapshot turned false): it would otherwise hold its file handle
   * and up to the snapshot's size on disk until another transfer or a restart.
   */
  async dropPartial(): Promise<void> {
    const receiver = this.receiver;
    if (!receiver?.isOpen) return; // none, or all its bytes arrived (its check ends it)
    await receiver.abort();
    if (this.receiver === receiver) this.receiver = undefined;
  }

  /**
   * Puts the checked snapshot received at `meta.index` in place as this node's latest, after this
   * node's own save (and the compaction to it) and any earlier recover. Returns it; the node then
   * installs it in the log and the core, and recovers the context from it (recoverInBackground).
   */
  async install(meta: SnapshotMeta): Promise<StoredSnapshot> {
    await this.savingPromise;
    await this.recovering;
    await this.drained;
    if (this.saved) await this.finish();
    if (!this.receiver || this.receiver.meta.index !== meta.index) throw new Error(`snapshot ${meta.index} to install but its data was not received`);
    if (!this.handler) throw new Error('received a snapshot but no snapshot handler is set: call setSnapshot()');
    const stored = await this.receiver.finish();
    this.receiver = undefined;
    // The installed snapshot covers everything applied so far: none of this node's own is due.
    this.scheduler.taken(performance.now());
    this.latestStored = stored;
    return stored;
  }

  /**
   * Recovers the context from an installed snapshot beside the run loop: the application's
   * recover() of a large snapshot would otherwise hold heartbeat answers, appends and votes for
   * as long. Committed entries wait meanwhile ({@link holdsApplies}); `recovered` runs once the
   * context holds the snapshot's state, before they apply. A failed recover leaves the context
   * half replaced: `failed` (fatal to the node).
   */
  recoverInBackground(stored: StoredSnapshot, recovered: () => void, failed: (err: Error) => void): void {
    const handler = this.handler!;
    this.hold('recover()');
    this.recovering = handler
      .recover(this.store!.open(stored))
      .then(() => {
        recovered();
        this.release();
      })
      .catch((err: Error) => {
        this.holding = undefined;
        this.deferred.length = 0;
        if (this.host.running()) failed(new Error(`recovering snapshot ${stored.meta.index} received from the leader failed: ${err.message}`));
      })
      .finally(() => {
        this.recovering = undefined;
      });
  }

  // -------------------------------------------------------------------------------------------
  // Stopping

  /** At stop: snapshot() calls not yet taken fail with `stopped`. */
  refuseAsked(stopped: Error): void {
    for (const a of this.asked.splice(0)) a.reject(stopped);
  }

  /** After stop's last save: a snapshot saved but not compacted to is on disk all the same; a partial receive is dropped. */
  async close(): Promise<void> {
    const saved = this.saved;
    for (const a of saved?.asked.splice(0) ?? []) a.resolve(saved!.stored.meta.index);
    await this.receiver?.abort().catch(() => undefined);
    // A check still running on it then fails: it must not be taken for a corrupt transfer.
    this.receiver = undefined;
    await this.sending.close();
  }
}
