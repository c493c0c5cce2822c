import { AUTH_DEFER_MS, authDeferMs, AuthShare, authSlots } from './auth-share';

describe('authSlots', () => {
  it('keeps an eighth of the slots (at least one) for preauth and passcode checks', () => {
    expect([2, 8, 16, 32, 128, 1_000].map(authSlots)).toEqual([1, 7, 14, 28, 112, 875]);
  });

  it('lets a single-slot worker run auths: it has no other slot to keep', () => {
    expect(authSlots(1)).toBe(1);
  });
});

describe('AuthShare', () => {
  it('gives an auth a slot while the share has one free', () => {
    const share = new AuthShare(2);
    expect([share.tryTake(), share.tryTake(), share.tryTake()]).toEqual([true, true, false]);
    share.release();
    expect(share.tryTake()).toBe(true);
  });
});

describe('authDeferMs', () => {
  it('spreads deferred pushes over one to two defer periods', () => {
    const delays = Array.from({ length: 200 }, authDeferMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(AUTH_DEFER_MS);
    expect(Math.max(...delays)).toBeLessThan(2 * AUTH_DEFER_MS);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});
