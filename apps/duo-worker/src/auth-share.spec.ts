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
  it('is exceeded only while more auths run than the share holds, the asking one counted in', async () => {
    const share = new AuthShare(1);
    let release!: () => void;
    const first = share.run(() => new Promise<void>((resolve) => (release = resolve)));
    expect(share.exceeded()).toBe(false);
    const seen = await share.run(async () => share.exceeded());
    expect(seen).toBe(true);
    release();
    await first;
    expect(await share.run(async () => share.exceeded())).toBe(false);
  });

  it('frees the slot of an auth that throws', async () => {
    const share = new AuthShare(1);
    await expect(share.run(async () => Promise.reject(new Error('Duo down')))).rejects.toThrow('Duo down');
    expect(await share.run(async () => share.exceeded())).toBe(false);
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
