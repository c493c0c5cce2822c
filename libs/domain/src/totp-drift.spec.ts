import { describe, expect, it } from '@jest/globals';
import { MAX_DRIFT_STEPS, nextDrift, TOTP_WINDOW_STEPS } from './totp-drift';

describe('TOTP drift constants', () => {
  it('accept ±1 step and follow a clock up to 10 steps away', () => {
    expect(TOTP_WINDOW_STEPS).toBe(1);
    expect(MAX_DRIFT_STEPS).toBe(10);
  });
});

describe('nextDrift', () => {
  it.each([
    [0, 0, 0],
    [0, 1, 1],
    [0, -1, -1],
    [3, 1, 4],
    [3, -1, 2],
    [-4, -1, -5],
    [9, 1, 10],
    [10, 1, 10],
    [-9, -1, -10],
    [-10, -1, -10],
    [10, -1, 9],
    [-10, 1, -9],
    [25, 0, 10],
    [-25, 0, -10],
  ])('previous %d, matched %d → %d', (previous, delta, next) => {
    expect(nextDrift(previous, delta)).toBe(next);
  });
});
