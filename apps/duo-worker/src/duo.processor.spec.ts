import { authSlots } from './duo.processor';

describe('authSlots', () => {
  it('keeps an eighth of the slots (at least one) for preauth and passcode checks', () => {
    expect([2, 8, 16, 32, 128, 1_000].map(authSlots)).toEqual([1, 7, 14, 28, 112, 875]);
  });

  it('lets a single-slot worker run auths: it has no other slot to keep', () => {
    expect(authSlots(1)).toBe(1);
  });
});
