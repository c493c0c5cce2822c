import { describe, expect, it } from '@jest/globals';
import { afterFailure, afterSuccess, isLocked, lockedFor, type LockoutState, lockNow } from './lockout';

const POLICY = { lockoutThreshold: 3, lockoutSeconds: 900 };
const NOW = 1_700_000_000_000;
const FRESH: LockoutState = { consecutiveFailures: 0, lockedUntilMs: null };

describe('isLocked and lockedFor', () => {
  it.each<[string, LockoutState, number, boolean, number]>([
    ['never locked', FRESH, NOW, false, 0],
    ['failures but no lock', { consecutiveFailures: 2, lockedUntilMs: null }, NOW, false, 0],
    ['locked for 900 s', { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 }, NOW, true, 900],
    ['1 ms left rounds up to 1 s', { consecutiveFailures: 3, lockedUntilMs: NOW + 1 }, NOW, true, 1],
    ['1001 ms left rounds up to 2 s', { consecutiveFailures: 3, lockedUntilMs: NOW + 1_001 }, NOW, true, 2],
    ['exactly 1000 ms left is 1 s', { consecutiveFailures: 3, lockedUntilMs: NOW + 1_000 }, NOW, true, 1],
    ['lock ends now', { consecutiveFailures: 3, lockedUntilMs: NOW }, NOW, false, 0],
    ['lock ended earlier', { consecutiveFailures: 3, lockedUntilMs: NOW - 5_000 }, NOW, false, 0],
  ])('%s: locked %s, %d s left', (_label, state, now, locked, seconds) => {
    expect(isLocked(state, now)).toBe(locked);
    expect(lockedFor(state, now)).toBe(seconds);
  });
});

describe('afterFailure', () => {
  it('counts failures below the threshold without locking', () => {
    const first = afterFailure(FRESH, POLICY, NOW);
    expect(first).toEqual({ state: { consecutiveFailures: 1, lockedUntilMs: null }, justLocked: false });
    const second = afterFailure(first.state, POLICY, NOW);
    expect(second).toEqual({ state: { consecutiveFailures: 2, lockedUntilMs: null }, justLocked: false });
  });

  it('locks for lockout_seconds on the failure that reaches the threshold', () => {
    const result = afterFailure({ consecutiveFailures: 2, lockedUntilMs: null }, POLICY, NOW);
    expect(result).toEqual({
      state: { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 },
      justLocked: true,
    });
    expect(lockedFor(result.state, NOW)).toBe(900);
  });

  it('locks on the first failure with a threshold of 1', () => {
    const result = afterFailure(FRESH, { lockoutThreshold: 1, lockoutSeconds: 60 }, NOW);
    expect(result).toEqual({ state: { consecutiveFailures: 1, lockedUntilMs: NOW + 60_000 }, justLocked: true });
  });

  it('locks when a lowered threshold is already passed', () => {
    const result = afterFailure({ consecutiveFailures: 7, lockedUntilMs: null }, POLICY, NOW);
    expect(result.justLocked).toBe(true);
    expect(result.state).toEqual({ consecutiveFailures: 8, lockedUntilMs: NOW + 900_000 });
  });

  it('does not extend a lock in force, and reports it as not just locked', () => {
    const locked: LockoutState = { consecutiveFailures: 3, lockedUntilMs: NOW + 10_000 };
    const result = afterFailure(locked, POLICY, NOW + 1_000);
    expect(result).toEqual({ state: { consecutiveFailures: 4, lockedUntilMs: NOW + 10_000 }, justLocked: false });
  });

  it('starts counting from zero again once a lock has expired', () => {
    const expired: LockoutState = { consecutiveFailures: 3, lockedUntilMs: NOW };
    const result = afterFailure(expired, POLICY, NOW);
    expect(result).toEqual({ state: { consecutiveFailures: 1, lockedUntilMs: null }, justLocked: false });
    expect(isLocked(result.state, NOW)).toBe(false);
  });

  it('needs a full threshold of new failures to lock again after an expired lock', () => {
    let state: LockoutState = { consecutiveFailures: 3, lockedUntilMs: NOW - 1 };
    const outcomes: boolean[] = [];
    for (let i = 0; i < POLICY.lockoutThreshold; i += 1) {
      const result = afterFailure(state, POLICY, NOW);
      outcomes.push(result.justLocked);
      state = result.state;
    }
    expect(outcomes).toEqual([false, false, true]);
    expect(state).toEqual({ consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 });
  });
});

describe('afterSuccess', () => {
  it('resets the counter and lifts any lock', () => {
    expect(afterSuccess()).toEqual({ consecutiveFailures: 0, lockedUntilMs: null });
  });
});

describe('lockNow (fraud report)', () => {
  it.each<[string, LockoutState, LockoutState]>([
    ['a fresh user', FRESH, { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 }],
    ['a user with some failures', { consecutiveFailures: 1, lockedUntilMs: null }, { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 }],
    ['a user past the threshold', { consecutiveFailures: 8, lockedUntilMs: null }, { consecutiveFailures: 8, lockedUntilMs: NOW + 900_000 }],
    ['an expired lock', { consecutiveFailures: 3, lockedUntilMs: NOW - 1 }, { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 }],
    ['a shorter lock in force', { consecutiveFailures: 3, lockedUntilMs: NOW + 5_000 }, { consecutiveFailures: 3, lockedUntilMs: NOW + 900_000 }],
    ['a longer lock in force', { consecutiveFailures: 3, lockedUntilMs: NOW + 5_000_000 }, { consecutiveFailures: 3, lockedUntilMs: NOW + 5_000_000 }],
  ])('locks %s at once', (_label, before, after) => {
    const state = lockNow(before, POLICY, NOW);
    expect(state).toEqual(after);
    expect(isLocked(state, NOW)).toBe(true);
  });
});
