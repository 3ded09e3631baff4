/**
 * Runs async tasks one at a time in call order. The WAL's mutations go through one queue, so a
 * caller may start `save` again before the previous one resolved and the log still sees them in
 * order, each validated against the state its predecessors left.
 * @module
 */

/** A FIFO of async tasks, at most one running. A failed task does not stop the ones after it. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Runs `task` after every task queued before it has settled; resolves with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }
}
