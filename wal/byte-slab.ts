/**
 * Small byte arrays carved out of shared slabs.
 *
 * Every `new Uint8Array(n)` costs a JS ArrayBuffer object plus a separately malloc'd backing
 * store, and V8 frees that store only when a major GC collects the ArrayBuffer. Log entries are
 * small (tens of bytes) and live for a minute or more in the WAL's entry cache, so one buffer per
 * entry meant hundreds of thousands of ArrayBuffers and mallocs per node: a third of the heap and
 * most of the memory outside it (a heap snapshot at 4,000 writes/s showed 370k ArrayBuffers
 * averaging 51 bytes each).
 *
 * A slab hands out views into one larger buffer instead. A slab stays in memory while any view
 * into it lives, so use it only for bytes whose lifetimes follow each other, as log entries do
 * (created and evicted in log order); never for data kept for an unrelated time, such as state
 * machine values.
 * @module
 */

/** Bytes per slab. */
export const SLAB_BYTES = 16 * 1024;
/** Larger arrays get their own buffer: at most this much of a slab is lost when it is cut short. */
export const MAX_SLAB_ALLOCATION = 1024;

export class ByteSlab {
  private slab: Uint8Array;
  private used = 0;

  constructor(private readonly slabBytes = SLAB_BYTES) {
    this.slab = new Uint8Array(slabBytes);
  }

  /** A zero-filled array of `length` bytes: a view into the current slab, or its own buffer when large. */
  alloc(length: number): Uint8Array {
    if (length > MAX_SLAB_ALLOCATION || length > this.slabBytes) return new Uint8Array(length);
    if (this.used + length > this.slabBytes) {
      this.slab = new Uint8Array(this.slabBytes);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + length);
    this.used += length;
    return out;
  }

  /** A copy of `bytes` that aliases nothing the caller holds. */
  copy(bytes: Uint8Array): Uint8Array {
    const out = this.alloc(bytes.byteLength);
    out.set(bytes);
    return out;
  }

  /**
   * `view` as bytes to keep: a plain Uint8Array over the same memory when it is large and makes
   * up at least half of its buffer, else a copy. Only for a view into a buffer that nothing will
   * write again (a fresh read from disk, a received frame): the view then pins at most twice its
   * size. A copy of a multi-MiB entry costs far more than memcpy suggests, since every page of
   * the fresh copy faults on first touch (59 MiB: ~170 ms on the benchmark VM), and big entries
   * were copied this way on each read from disk and each receive.
   */
  keepOrCopy(view: Uint8Array): Uint8Array {
    if (view.byteLength >= MIN_KEPT_VIEW_BYTES && view.byteLength * 2 >= view.buffer.byteLength) {
      return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    }
    return this.copy(view);
  }
}

/** Smallest view {@link ByteSlab.keepOrCopy} keeps rather than copies. */
export const MIN_KEPT_VIEW_BYTES = 64 * 1024;

/** The process-wide slab for log entry data (the WAL, the wire decoder and command encoding share it). */
export const entrySlab = new ByteSlab();
