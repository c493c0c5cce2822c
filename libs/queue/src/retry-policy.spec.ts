import { RetryableProviderError } from './provider-errors';
import { jitteredBackoff } from './retry-policy';

describe('jitteredBackoff', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [7, 60_000],
    [20, 60_000],
  ])('after attempt %i waits between half and all of %i ms', (attempt, ceiling) => {
    expect(jitteredBackoff(attempt, undefined, undefined, () => 0)).toBe(ceiling / 2);
    expect(jitteredBackoff(attempt, undefined, undefined, () => 1)).toBe(ceiling);
  });

  it("honours a provider's Retry-After when it is longer, up to the cap", () => {
    const error = new RetryableProviderError('429', 'twilio', 30_000);
    expect(jitteredBackoff(1, undefined, error, () => 0)).toBe(30_000);
    expect(jitteredBackoff(1, undefined, new RetryableProviderError('429', 'twilio', 600_000), () => 0)).toBe(60_000);
  });
});
