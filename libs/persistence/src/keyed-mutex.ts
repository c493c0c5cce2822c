/** A call gave up waiting for the one before it on the same key (that one is stuck, most likely on its database). */
export class LockWaitTimeoutError extends Error {
  override name = 'LockWaitTimeoutError';
}

/**
 * Serialises async work per key inside one process. PostgreSQL row locks do the same across
 * replicas; this keeps one process from queueing many transactions on the same row, and is the
 * whole story for SQLite, whose single connection cannot hold two transactions at once.
 *
 * With `waitLimitMs`, a call that waits longer than that for the calls before it fails with
 * `LockWaitTimeoutError` without running, so one stuck call cannot hold every later call of
 * its key until their deadlines. Its place in the queue is given up only when the calls before
 * it end: the calls after it still wait for those. A call that finds its key free sets no timer.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly waitLimitMs?: number) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => current) : current;
    this.tails.set(key, tail);
    const done = () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    if (previous) {
      try {
        await this.waitFor(previous);
      } catch (error) {
        void previous.then(done);
        throw error;
      }
    }
    try {
      return await work();
    } finally {
      done();
    }
  }

  private waitFor(previous: Promise<void>): Promise<void> {
    const limit = this.waitLimitMs;
    if (limit === undefined) return previous;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LockWaitTimeoutError(`waited over ${limit} ms for an earlier call on the same key`)), limit);
      void previous.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
