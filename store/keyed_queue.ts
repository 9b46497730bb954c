/**
 * Runs tasks one after another per key, and tasks of different keys concurrently. The
 * state stores use it so that concurrent updates of one subject in this process queue
 * instead of colliding in optimistic transactions and retrying.
 *
 * @module
 */
export class KeyedQueue {
  #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task of `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(() => {}, () => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
