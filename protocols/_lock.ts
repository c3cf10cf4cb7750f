/**
 * A one-slot lock (a promise chain) that serializes the operations of one
 * protocol client, so that commands and replies never interleave.
 *
 * @module
 */

/** Runs async tasks one at a time, in call order. */
export class Lock {
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `task` after every task queued before it has settled.
   *
   * @param task The work.
   * @returns The task's result.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.then(() => {}, () => {});
    return result;
  }
}
