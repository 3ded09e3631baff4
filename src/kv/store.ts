/**
 * The key-value state machine's context: keys are strings, values raw bytes. It keeps a digest
 * of its contents up to date as it changes (an XOR of a 64-bit hash of every key/value pair), so
 * two members can compare their applied state in O(1) — the fault-injection suite does, through
 * `GET /status`.
 * @module
 */

const FNV_PRIME = 0x01000193;

/** One byte into the first hash (FNV-1a). */
function stepA(a: number, byte: number): number {
  return Math.imul(a ^ byte, FNV_PRIME);
}

/** One byte into the second hash (FNV-1a with a different seed and an extra shift-xor). */
function stepB(b: number, byte: number): number {
  return Math.imul(b ^ byte, FNV_PRIME) ^ (b >>> 15);
}

/**
 * Two independent 32-bit FNV-1a style hashes of (key length, value length, key, value), as one
 * 64-bit value in two halves, written to `into[0]` (high) and `into[1]` (low). It runs once per
 * applied write on every member, so it allocates nothing (its closure, array and tuple were ~3 %
 * of a follower's time under write load).
 */
function pairHash(key: string, value: Uint8Array, into: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  // Lengths first (four little-endian bytes each), so no (key, value) pair can spell out another pair's bytes.
  for (let half = 0; half < 2; half++) {
    const n = half === 0 ? key.length : value.length;
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (n >>> shift) & 0xff;
      a = stepA(a, byte);
      b = stepB(b, byte);
    }
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = stepA(stepA(a, c & 0xff), c >>> 8);
    b = stepB(stepB(b, c & 0xff), c >>> 8);
  }
  for (let i = 0; i < value.length; i++) {
    a = stepA(a, value[i]!);
    b = stepB(b, value[i]!);
  }
  into[0] = a;
  into[1] = b;
}

/** Scratch output of pairHash (the store is used from one thread). */
const pairHashOut = new Uint32Array(2);

/**
 * Values at least this big keep their pair hash beside them (weakly, by the value's identity: a
 * stored value is never changed in place), so an overwrite or delete does not hash the old value
 * again: hashing a 59 MiB value took ~150 ms of the event loop (an event-loop audit).
 */
const CACHED_HASH_BYTES = 64 * 1024;
const bigPairHashes = new WeakMap<Uint8Array, { key: string; hi: number; lo: number }>();

/** A point-in-time view of a {@link KvStore}, for writing a snapshot while the store goes on changing. */
export interface KvCapture {
  /** The contents when the capture was taken, whatever changed since. */
  entries(): IterableIterator<[string, Buffer]>;
  /**
   * The snapshot is written: the store folds the changes made since into its map, a few thousand
   * keys per turn of the event loop. Call once.
   */
  release(): void;
}

/**
 * A map of string keys to byte values with a running content digest, and copy-on-write captures:
 * while a capture is written, the map holds still and changes gather in an overlay.
 */
/** Bytes of a shared buffer a stored value may keep beyond twice its length (Buffer's pool slabs are 8 KiB). */
const WASTE_BYTES = 8 * 1024;

/**
 * Keys of the overlay folded into the map per turn of the event loop once a capture is released
 * (about 5 ms). Folded at once, 100,000 keys changed during a long save held the event loop for
 * 76 ms, heartbeats and requests with it.
 */
const FOLD_KEYS_PER_TURN = 8192;

export class KvStore {
  private map = new Map<string, Buffer>();
  /** While a capture of `map` is being written: the newest value of each key changed since (null: deleted). */
  private overlay: Map<string, Buffer | null> | undefined;
  /** The overlay of a released capture while it is folded in, a chunk per turn; changes still go to it. */
  private folding: Map<string, Buffer | null> | undefined;
  private keys = 0;
  private digestHi = 0;
  private digestLo = 0;

  /** The value of `key`, or undefined. The returned buffer must not be modified. */
  get(key: string): Buffer | undefined {
    if (this.overlay !== undefined) {
      const changed = this.overlay.get(key);
      if (changed !== undefined) return changed ?? undefined;
    }
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Number of keys. */
  get size(): number {
    return this.keys;
  }

  /**
   * Sets `key` to `value` (the store keeps the buffer: do not modify it afterwards). A value that
   * is a small view of a larger buffer (a decoded command's payload, holding its key and a CAS's
   * whole `expect`) is copied out, so that each value costs about its own size (found in review:
   * a 2-byte value CAS-written over a 1 MiB one kept the 1 MiB alive).
   */
  set(key: string, value: Buffer): void {
    if (value.buffer.byteLength > 2 * value.length + WASTE_BYTES) value = Buffer.from(value);
    const old = this.get(key);
    if (old) this.toggle(key, old);
    else this.keys++;
    (this.overlay ?? this.map).set(key, value);
    this.toggle(key, value);
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: string): boolean {
    const old = this.get(key);
    if (!old) return false;
    this.toggle(key, old);
    this.keys--;
    if (this.overlay === undefined) this.map.delete(key);
    else if (this.map.has(key)) this.overlay.set(key, null);
    else this.overlay.delete(key);
    return true;
  }

  /**
   * The contents as of now, for a snapshot written while the store goes on changing: O(1), the
   * map holds still until `release()` and changes meanwhile cost one overlay entry each.
   * @throws Error while another capture is held (its view would change under it)
   */
  capture(): KvCapture {
    if (this.overlay !== undefined && this.overlay !== this.folding) throw new Error('a capture of this store is still being written: release it first');
    this.fold(); // the rest of a released capture's changes, at once: the new capture holds the map still
    const map = this.map;
    const overlay = new Map<string, Buffer | null>();
    this.overlay = overlay;
    return {
      entries: () => map.entries(),
      release: () => {
        if (this.overlay !== overlay || this.folding === overlay) return;
        this.folding = overlay;
        this.foldSome(overlay);
      },
    };
  }

  /**
   * Moves up to FOLD_KEYS_PER_TURN changes of a released capture's overlay into the map, and
   * schedules the rest. Reads see the same contents throughout: a key is in the overlay until it
   * is in the map. Changes made meanwhile still go to the overlay (a key folded already is
   * added again, and folded later).
   */
  private foldSome(overlay: Map<string, Buffer | null>, limit = FOLD_KEYS_PER_TURN): void {
    if (this.overlay !== overlay) return; // replaced, or folded at once by capture()
    let n = 0;
    for (const [key, value] of overlay) {
      if (n++ === limit) {
        setImmediate(() => this.foldSome(overlay));
        return;
      }
      if (value === null) this.map.delete(key);
      else this.map.set(key, value);
      overlay.delete(key);
    }
    this.overlay = undefined;
    this.folding = undefined;
  }

  /** Applies the overlay's changes to the map at once (one map operation per key changed). */
  private fold(): void {
    if (this.overlay !== undefined) this.foldSome(this.overlay, Infinity);
  }

  /**
   * Takes the contents of `other` (a store built from a snapshot) in one step, so that a reader
   * sees the old contents or the new ones, never a mix; `other` must not be used afterwards. A
   * capture being written keeps the contents it captured.
   */
  replaceWith(other: KvStore): void {
    other.fold();
    this.map = other.map;
    this.overlay = undefined;
    this.folding = undefined;
    this.keys = other.keys;
    this.digestHi = other.digestHi;
    this.digestLo = other.digestLo;
  }

  /** Every entry (snapshots write them in this order; a key changed during a capture may move to the end). */
  *entries(): IterableIterator<[string, Buffer]> {
    // A released capture's fold moves keys from the overlay into the map between turns: one this
    // iteration had passed in neither would be missed by a reader that iterates across turns.
    if (this.folding !== undefined) this.fold();
    const overlay = this.overlay;
    if (overlay === undefined) {
      yield* this.map.entries();
      return;
    }
    for (const [key, value] of this.map) {
      const changed = overlay.get(key);
      if (changed === undefined) yield [key, value];
    }
    for (const [key, value] of overlay) if (value !== null) yield [key, value];
  }

  /** A digest of the contents: equal contents give equal digests, whatever the order of changes. */
  digest(): string {
    return this.digestHi.toString(16).padStart(8, '0') + this.digestLo.toString(16).padStart(8, '0');
  }

  private toggle(key: string, value: Uint8Array): void {
    if (value.byteLength >= CACHED_HASH_BYTES) {
      let cached = bigPairHashes.get(value);
      if (cached === undefined || cached.key !== key) {
        pairHash(key, value, pairHashOut);
        cached = { key, hi: pairHashOut[0]!, lo: pairHashOut[1]! };
        bigPairHashes.set(value, cached);
      }
      pairHashOut[0] = cached.hi;
      pairHashOut[1] = cached.lo;
    } else {
      pairHash(key, value, pairHashOut); // small values: no allocation
    }
    this.digestHi = (this.digestHi ^ pairHashOut[0]!) >>> 0;
    this.digestLo = (this.digestLo ^ pairHashOut[1]!) >>> 0;
  }
}
