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

/** A map of string keys to byte values with a running content digest. */
export class KvStore {
  private map = new Map<string, Buffer>();
  private digestHi = 0;
  private digestLo = 0;

  /** The value of `key`, or undefined. The returned buffer must not be modified. */
  get(key: string): Buffer | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Number of keys. */
  get size(): number {
    return this.map.size;
  }

  /** Sets `key` to `value` (the store keeps the buffer: do not modify it afterwards). */
  set(key: string, value: Buffer): void {
    const old = this.map.get(key);
    if (old) this.toggle(key, old);
    this.map.set(key, value);
    this.toggle(key, value);
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: string): boolean {
    const old = this.map.get(key);
    if (!old) return false;
    this.toggle(key, old);
    this.map.delete(key);
    return true;
  }

  /**
   * Takes the contents of `other` (a store built from a snapshot) in one step, so that a reader
   * sees the old contents or the new ones, never a mix; `other` must not be used afterwards.
   */
  replaceWith(other: KvStore): void {
    this.map = other.map;
    this.digestHi = other.digestHi;
    this.digestLo = other.digestLo;
  }

  /** Entries in insertion order (snapshots iterate this). */
  entries(): IterableIterator<[string, Buffer]> {
    return this.map.entries();
  }

  /** A digest of the contents: equal contents give equal digests, whatever the order of changes. */
  digest(): string {
    return this.digestHi.toString(16).padStart(8, '0') + this.digestLo.toString(16).padStart(8, '0');
  }

  private toggle(key: string, value: Uint8Array): void {
    pairHash(key, value, pairHashOut);
    this.digestHi = (this.digestHi ^ pairHashOut[0]!) >>> 0;
    this.digestLo = (this.digestLo ^ pairHashOut[1]!) >>> 0;
  }
}
