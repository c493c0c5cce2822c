type Listener<T> = (record: T) => void;

/**
 * An append-only list of what a fake received, with a way to wait for a record that has not
 * arrived yet. Tests wait on a predicate instead of sleeping, so they stay fast and stable.
 */
export class RecordLog<T> {
  private readonly items: T[] = [];
  private readonly listeners = new Set<Listener<T>>();

  get all(): readonly T[] {
    return this.items;
  }

  add(record: T): void {
    this.items.push(record);
    for (const listener of [...this.listeners]) listener(record);
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Calls `listener` for every record added from now on; returns the unsubscribe function. */
  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first record (already received or still to come) matching `predicate`. */
  waitFor(predicate: (record: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const existing = this.items.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching record within ${timeoutMs} ms (${this.items.length} received)`));
      }, timeoutMs);
      const unsubscribe = this.subscribe((record) => {
        if (!predicate(record)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(record);
      });
    });
  }
}
