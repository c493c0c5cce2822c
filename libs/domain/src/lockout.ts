import type { Policy } from './policy';

/** One per user, shared by every factor and by recovery codes. */
export interface LockoutState {
  consecutiveFailures: number;
  lockedUntilMs: number | null;
}

type LockoutPolicy = Pick<Policy, 'lockoutThreshold' | 'lockoutSeconds'>;

export function isLocked(state: LockoutState, nowMs: number): boolean {
  return state.lockedUntilMs !== null && nowMs < state.lockedUntilMs;
}

/** Whole seconds until the lock ends (rounded up, for `retry-after`); 0 when not locked. */
export function lockedFor(state: LockoutState, nowMs: number): number {
  if (state.lockedUntilMs === null || !isLocked(state, nowMs)) {
    return 0;
  }
  return Math.ceil((state.lockedUntilMs - nowMs) / 1000);
}

function hasExpiredLock(state: LockoutState, nowMs: number): boolean {
  return state.lockedUntilMs !== null && !isLocked(state, nowMs);
}

export function afterFailure(
  state: LockoutState,
  policy: LockoutPolicy,
  nowMs: number,
): { state: LockoutState; justLocked: boolean } {
  // A lock that has run out gives the user a fresh start: counting resumes from zero.
  const current = hasExpiredLock(state, nowMs) ? afterSuccess() : state;
  const consecutiveFailures = current.consecutiveFailures + 1;
  if (isLocked(current, nowMs) || consecutiveFailures < policy.lockoutThreshold) {
    return { state: { consecutiveFailures, lockedUntilMs: current.lockedUntilMs }, justLocked: false };
  }
  return {
    state: { consecutiveFailures, lockedUntilMs: nowMs + policy.lockoutSeconds * 1000 },
    justLocked: true,
  };
}

export function afterSuccess(): LockoutState {
  return { consecutiveFailures: 0, lockedUntilMs: null };
}

/** A fraud report ("this wasn't me") locks at once, as reaching the threshold would. */
export function lockNow(state: LockoutState, policy: LockoutPolicy, nowMs: number): LockoutState {
  const until = nowMs + policy.lockoutSeconds * 1000;
  return {
    consecutiveFailures: Math.max(state.consecutiveFailures, policy.lockoutThreshold),
    // Never shortens a lock already in force (e.g. one set under a longer policy).
    lockedUntilMs: isLocked(state, nowMs) ? Math.max(state.lockedUntilMs ?? until, until) : until,
  };
}
