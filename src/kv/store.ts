/**
 * The key-value state machine's context: keys are strings, values raw bytes. It keeps a digest
 * of its contents up to date as it changes (an XOR of a 64-bit hash of every key/value pair), so
 * two members can compare their applied state in O(1) — the fault-injection suite does, through
 * `GET /status`.
 * @module
 */

/** Two independent 32-bit FNV-1a style hashes of (key length, value length, key, value), as one 64-bit value in two halves. */
function pairHash(key: string, value: Uint8Array): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  const step = (byte: number): void => {
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 15);
  };
  // Lengths first, so no (key, value) pair can spell out another pair's bytes.
  const lengths = [key.length, value.length];
  for (const n of lengths) for (let shift = 0; shift < 32; shift += 8) step((n >>> shift) & 0xff);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    step(c & 0xff);
    step(c >>> 8);
  }
  for (let i = 0; i < value.length; i++) step(value[i]!);
  return [a >>> 0, b >>> 0];
}

/** A map of string keys to byte values with a running content digest. */
export class KvStore {
  private readonly map = new Map<string, Buffer>();
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

  /** Removes everything (before a snapshot is recovered). */
  clear(): void {
    this.map.clear();
    this.digestHi = 0;
    this.digestLo = 0;
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
    const [hi, lo] = pairHash(key, value);
    this.digestHi = (this.digestHi ^ hi) >>> 0;
    this.digestLo = (this.digestLo ^ lo) >>> 0;
  }
}
