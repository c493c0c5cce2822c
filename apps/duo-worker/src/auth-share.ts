import { randomInt } from 'node:crypto';

/** How long a new push that found the share taken waits in the queue, at least; up to twice that, so deferred pushes do not all come back at once. */
export const AUTH_DEFER_MS = 1_000;

export const authDeferMs = (): number => AUTH_DEFER_MS + randomInt(AUTH_DEFER_MS);

/**
 * How many of a worker's jobs in flight may be auths. An auth holds its slot until the user answers
 * or the challenge expires; the rest are kept for preauth and passcode checks, which a caller waits
 * on for seconds, so unanswered pushes never leave those without a slot.
 */
export function authSlots(concurrency: number): number {
  return concurrency === 1 ? 1 : concurrency - Math.max(1, Math.floor(concurrency / 8));
}

/** The auths running in one worker process, against the share of its slots they may take. */
export class AuthShare {
  private running = 0;

  constructor(private readonly slots: number) {}

  /** Runs an auth, counted for as long as it runs. */
  async run<T>(auth: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await auth();
    } finally {
      this.running -= 1;
    }
  }

  /**
   * Whether the running auths, the asking one counted in, take more than the share: a new push
   * then waits its turn. One that resumes a push already sent, or only reports its expiry, runs anyway.
   */
  exceeded(): boolean {
    return this.running > this.slots;
  }
}
