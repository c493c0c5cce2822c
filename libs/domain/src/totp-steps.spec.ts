import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isTotpStepUsed, TOTP_REPLAY_SPAN, withTotpStepAccepted, type AcceptedTotpSteps } from './totp-steps';

const none: AcceptedTotpSteps = { last: null, recent: null };

describe('TOTP replay record', () => {
  it('uses no step before the first accepted code', () => {
    expect(isTotpStepUsed(none, 100)).toBe(false);
    expect(withTotpStepAccepted(none, 100)).toEqual({ last: 100, recent: [100] });
  });

  it('refuses exactly the steps accepted before: the one after and the one before stay good', () => {
    const accepted = withTotpStepAccepted(none, 100);
    expect(isTotpStepUsed(accepted, 100)).toBe(true);
    expect(isTotpStepUsed(accepted, 99)).toBe(false);
    expect(isTotpStepUsed(accepted, 101)).toBe(false);
  });

  it('remembers an earlier step accepted after a later one', () => {
    const both = withTotpStepAccepted(withTotpStepAccepted(none, 101), 100);
    expect(both).toEqual({ last: 101, recent: [100, 101] });
    expect(isTotpStepUsed(both, 100)).toBe(true);
    expect(isTotpStepUsed(both, 101)).toBe(true);
    expect(isTotpStepUsed(both, 99)).toBe(false);
  });

  it('keeps only the span a window can still reach, and counts anything older as used', () => {
    let accepted = none;
    for (const step of [100, 101, 102, 103]) accepted = withTotpStepAccepted(accepted, step);
    expect(accepted).toEqual({ last: 103, recent: [101, 102, 103] });
    expect(isTotpStepUsed(accepted, 103 - TOTP_REPLAY_SPAN - 1)).toBe(true);
  });

  it('treats a record without its list (an earlier release) as "every step up to the last is used"', () => {
    const legacy: AcceptedTotpSteps = { last: 100, recent: null };
    expect(isTotpStepUsed(legacy, 99)).toBe(true);
    expect(isTotpStepUsed(legacy, 100)).toBe(true);
    expect(isTotpStepUsed(legacy, 101)).toBe(false);
    const next = withTotpStepAccepted(legacy, 101);
    expect(next).toEqual({ last: 101, recent: [99, 100, 101] });
    expect(isTotpStepUsed(next, 99)).toBe(true);
  });

  it('treats a list that lost its last step (moved by an earlier release) as unknown', () => {
    const moved: AcceptedTotpSteps = { last: 102, recent: [100] };
    expect(isTotpStepUsed(moved, 101)).toBe(true);
    expect(isTotpStepUsed(moved, 103)).toBe(false);
  });

  it('refuses to record a step twice', () => {
    expect(() => withTotpStepAccepted(withTotpStepAccepted(none, 7), 7)).toThrow('accepted already');
  });

  it('property: every accepted step is used from then on while a window can reach it, and no other step is', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }), (offsets, advances) => {
        // A server clock that moves forward, and codes of its step ±1.
        let accepted = none;
        const seen = new Set<number>();
        let now = 1_000;
        offsets.forEach((offset, i) => {
          now += advances[i % advances.length];
          const step = now + offset;
          for (let s = now - 1; s <= now + 1; s++) expect(isTotpStepUsed(accepted, s)).toBe(seen.has(s));
          if (!isTotpStepUsed(accepted, step)) {
            accepted = withTotpStepAccepted(accepted, step);
            seen.add(step);
          }
        });
      }),
    );
  });
});
