import { KeyedMutex, LockWaitTimeoutError } from './keyed-mutex';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('KeyedMutex', () => {
  afterEach(() => jest.useRealTimers());

  it('runs the work of one key one at a time, in order, and that of other keys alongside', async () => {
    const mutex = new KeyedMutex(1_000);
    const log: string[] = [];
    const first = deferred();
    const a1 = mutex.run('a', async () => {
      log.push('a1 start');
      await first.promise;
      log.push('a1 end');
    });
    const a2 = mutex.run('a', async () => void log.push('a2'));
    const b = mutex.run('b', async () => void log.push('b'));
    await b;
    expect(log).toEqual(['a1 start', 'b']);
    first.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    expect((mutex as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });

  it('gives up waiting after the limit with LockWaitTimeoutError, without running the work', async () => {
    jest.useFakeTimers();
    const mutex = new KeyedMutex(3_000);
    const stuck = deferred();
    const holder = mutex.run('user', () => stuck.promise);
    const waiterWork = jest.fn(async () => 'ran');
    const waiter = mutex.run('user', waiterWork);
    const outcome = waiter.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(2_999);
    expect(waiterWork).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(LockWaitTimeoutError);
    expect((error as Error).name).toBe('LockWaitTimeoutError');
    expect(waiterWork).not.toHaveBeenCalled();
    stuck.resolve();
    await holder;
  });

  it('keeps the order for the calls behind one that gave up: they still wait for the holder', async () => {
    jest.useFakeTimers();
    const mutex = new KeyedMutex(3_000);
    const stuck = deferred();
    const log: string[] = [];
    const holder = mutex.run('user', async () => {
      await stuck.promise;
      log.push('holder');
    });
    const gaveUp = mutex.run('user', async () => void log.push('never')).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(2_000);
    const third = mutex.run('user', async () => void log.push('third'));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await gaveUp).toBeInstanceOf(LockWaitTimeoutError);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(log).toEqual([]);
    stuck.resolve();
    await holder;
    await third;
    expect(log).toEqual(['holder', 'third']);
    expect((mutex as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });

  it('frees the key when the work fails', async () => {
    const mutex = new KeyedMutex(1_000);
    await expect(mutex.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'next')).resolves.toBe('next');
    expect((mutex as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });

  it('waits as long as it takes without a limit', async () => {
    jest.useFakeTimers();
    const mutex = new KeyedMutex();
    const slow = deferred();
    const holder = mutex.run('k', () => slow.promise);
    const waiter = mutex.run('k', async () => 'done');
    await jest.advanceTimersByTimeAsync(60_000);
    slow.resolve();
    await holder;
    await expect(waiter).resolves.toBe('done');
  });
});
