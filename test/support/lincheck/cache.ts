/**
 * Lowe's memoisation cache for the WGL search: the set of (linearized-ops bitset, model state)
 * configurations already explored. Open addressing with linear probing over a flat pool of
 * Uint32 words (each record: `words` bitset words, then the state id), so that millions of
 * records cost no per-record objects.
 */
export class ConfigCache {
  private readonly words: number;
  private readonly stride: number;
  private pool: Uint32Array;
  private count = 0;
  private slots: Int32Array; // record index, -1 = empty
  private hashes: Uint32Array;
  private mask: number;

  /** @param words number of Uint32 words in a bitset */
  constructor(words: number) {
    this.words = words;
    this.stride = words + 1;
    this.pool = new Uint32Array(this.stride * 1024);
    this.slots = new Int32Array(2048).fill(-1);
    this.hashes = new Uint32Array(2048);
    this.mask = 2047;
  }

  /** Number of records. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds (bits, state) unless present; `hash` must be a function of exactly those two.
   * Returns true when it was new.
   */
  add(bits: Uint32Array, state: number, hash: number): boolean {
    const { words, stride, pool, slots, hashes, mask } = this;
    let i = hash & mask;
    for (;;) {
      const r = slots[i]!;
      if (r < 0) break;
      if (hashes[i] === hash) {
        const base = r * stride;
        if (pool[base + words] === state) {
          let same = true;
          for (let w = 0; w < words; w++) {
            if (pool[base + w] !== bits[w]) {
              same = false;
              break;
            }
          }
          if (same) return false;
        }
      }
      i = (i + 1) & mask;
    }
    // insert
    if ((this.count + 1) * stride > this.pool.length) {
      const bigger = new Uint32Array(this.pool.length * 2);
      bigger.set(this.pool);
      this.pool = bigger;
    }
    const base = this.count * stride;
    this.pool.set(bits, base);
    this.pool[base + words] = state;
    slots[i] = this.count;
    hashes[i] = hash;
    this.count++;
    if (this.count * 2 > slots.length) this.grow();
    return true;
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size).fill(-1);
    const hashes = new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.slots.length; i++) {
      const r = this.slots[i]!;
      if (r < 0) continue;
      const h = this.hashes[i]!;
      let j = h & mask;
      while (slots[j]! >= 0) j = (j + 1) & mask;
      slots[j] = r;
      hashes[j] = h;
    }
    this.slots = slots;
    this.hashes = hashes;
    this.mask = mask;
  }
}
