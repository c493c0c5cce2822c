import { randomInt } from 'node:crypto';

/** How long a new push that found the share taken waits in the queue, at least; up to twice that, so deferred pushes do not all come back at once. */
export const AUTH_DEFER_MS = 1_000;

export const authDeferMs = (): number => AUTH_DEFER_MS + randomInt(AUTH_DEFER_MS);

/**
 * How many of a worker's jobs in flight may be auths. An auth holds its slot until the user answers
 * or the challenge expires; the rest (an eighth, at least one for a worker of two slots or more) are
 * kept for preauth and passcode checks, which a caller waits on for seconds, so unanswered pushes
 * do not leave those without a slot.
 */
export function authSlots(concurrency: number): number {
  return concurrency === 1 ? 1 : concurrency - Math.max(1, Math.floor(concurrency / 8));
}

/**
 * The slots one worker process's auths hold, against the share they may take. A slot is taken
 * once an auth is sure to run (not by one about to be deferred), so two pushes arriving together
 * do not both see the share as taken.
 */
export class AuthShare {
  private held = 0;

  constructor(private readonly slots: number) {}

  /** Takes a slot for an auth when the share has one free. */
  tryTake(): boolean {
    if (this.held >= this.slots) return false;
    this.held += 1;
    return true;
  }

  release(): void {
    this.held -= 1;
  }
}
