import fc from 'fast-check';
import {
  afterFailure,
  CHALLENGE_STATUSES,
  DomainError,
  DomainErrorCode,
  emailIdentity,
  formatRecoveryCode,
  isFinalStatus,
  maskEmail,
  maskPhoneNumber,
  normalizeEmail,
  normalizePolicy,
  normalizeRecoveryCode,
  parsePhoneNumber,
  RECOVERY_CODE_ALPHABET,
  assertUserId,
  transitionChallenge,
  transitionDelivery,
  type ChallengeEvent,
  type ChallengeStatus,
  type DeliveryStatus,
  type Policy,
  type PolicyInput,
} from '@mfa/domain';

/**
 * Property-based tests (fast-check) over the domain validators that guard every request: they
 * fail only with DomainError, masks hide what they must, normalisation is idempotent, and final
 * challenge states stay final.
 */

const RUNS = { numRuns: 3_000 };

/** Runs `work`; anything thrown that is not a DomainError fails the property. */
function attempt<T>(work: () => T): { ok: true; value: T } | { ok: false; error: DomainError } {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    if (!(error instanceof DomainError)) throw new Error(`threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    return { ok: false, error };
  }
}

// Every kind of string: arbitrary code points (lone surrogates included), graphemes, ASCII.
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ maxLength: 300 }), fc.string({ unit: 'binary-ascii', maxLength: 40 }));
const e164Like = fc.oneof(
  fc.stringMatching(/^\+[1-9]\d{6,14}$/),
  fc.integer({ min: 0, max: 9_999 }).map((n) => `+1415555${String(n).padStart(4, '0')}`),
  fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+49151${String(n).padStart(7, '0')}`),
  fc.integer({ min: 0, max: 999_999 }).map((n) => `+447700${String(n).padStart(6, '0')}`),
  fc.stringMatching(/^\+?[0-9 ()+.-]{0,20}$/),
);
const phoneInput = fc.oneof(e164Like, anyString);
const digitsOf = (s: string): string => s.replace(/\D/g, '');

describe('parsePhoneNumber / maskPhoneNumber', () => {
  it('parsePhoneNumber throws only DomainError INVALID_ARGUMENT, never echoes the input, and accepts only its own E.164 output (idempotent)', () => {
    fc.assert(
      fc.property(phoneInput, (input) => {
        const result = attempt(() => parsePhoneNumber(input));
        if (!result.ok) {
          expect(result.error.code).toBe(DomainErrorCode.InvalidArgument);
          if (digitsOf(input).length >= 4) expect(result.error.message).not.toContain(digitsOf(input));
          return;
        }
        expect(result.value.e164).toBe(input);
        expect(parsePhoneNumber(result.value.e164)).toEqual(result.value);
        expect(result.value.e164.startsWith(`+${result.value.callingCode}`)).toBe(true);
      }),
      RUNS,
    );
  });

  it('maskPhoneNumber never throws and shows the calling code and at most the last 4 digits of the number', () => {
    fc.assert(
      fc.property(phoneInput, (input) => {
        const masked = attempt(() => maskPhoneNumber(input));
        expect(masked.ok).toBe(true);
        if (!masked.ok) return;
        const mask = masked.value;
        if (mask === '***') return;
        const match = /^\+(\d{1,3}) \*\*\* \*\*\* (\d{0,4})$/.exec(mask);
        expect(match).not.toBeNull();
        const [, callingCode, visible] = match!;
        expect(input.startsWith(`+${callingCode}`)).toBe(true);
        expect(input.endsWith(visible)).toBe(true);
        // At least half of the national number stays hidden.
        expect(visible.length * 2).toBeLessThanOrEqual(digitsOf(input).length - callingCode.length);
      }),
      RUNS,
    );
  });

  it('the mask of a valid number never holds more than 4 of its digits beyond the calling code', () => {
    fc.assert(
      fc.property(e164Like, (input) => {
        const parsed = attempt(() => parsePhoneNumber(input));
        if (!parsed.ok) return;
        const mask = maskPhoneNumber(parsed.value.e164);
        expect(digitsOf(mask).length - parsed.value.callingCode.length).toBeLessThanOrEqual(4);
      }),
      RUNS,
    );
  });
});

describe('normalizeEmail / emailIdentity / maskEmail', () => {
  const emailInput = fc.oneof(
    fc.emailAddress(),
    fc.emailAddress().map((e) => e.toUpperCase()),
    fc.tuple(fc.emailAddress(), fc.constantFrom(' ', '\n', '\u0000', '@', '..', '\u00e9', '\ud800')).map(([e, junk]) => e + junk),
    anyString,
    fc.tuple(anyString, anyString).map(([a, b]) => `${a}@${b}`),
  );

  it('normalizeEmail throws only DomainError INVALID_ARGUMENT, never echoes the input, and is idempotent', () => {
    fc.assert(
      fc.property(emailInput, (input) => {
        const result = attempt(() => normalizeEmail(input));
        if (!result.ok) {
          expect(result.error.code).toBe(DomainErrorCode.InvalidArgument);
          if (input.length >= 3) expect(result.error.message).not.toContain(input);
          return;
        }
        expect(normalizeEmail(result.value)).toBe(result.value);
        expect(emailIdentity(emailIdentity(result.value))).toBe(emailIdentity(result.value));
        expect(normalizeEmail(emailIdentity(result.value))).toBe(emailIdentity(result.value));
      }),
      RUNS,
    );
  });

  it('maskEmail never throws and never shows more than the first character of the local part', () => {
    fc.assert(
      fc.property(emailInput, (input) => {
        const masked = attempt(() => maskEmail(input));
        expect(masked.ok).toBe(true);
        if (!masked.ok) return;
        const at = input.lastIndexOf('@');
        if (at < 0) return expect(masked.value).toBe('***');
        const local = input.slice(0, at);
        expect(masked.value).toBe(`${local.slice(0, 1)}***${input.slice(at)}`);
        // The visible part of the local part is one character: never the whole of a longer one.
        const shownLocal = masked.value.slice(0, masked.value.lastIndexOf('@')).replace('***', '');
        expect(shownLocal.length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });
});

describe('normalizeRecoveryCode', () => {
  const raw16 = fc.array(fc.constantFrom(...RECOVERY_CODE_ALPHABET.split('')), { minLength: 16, maxLength: 16 }).map((chars) => chars.join(''));
  // How people type a code: lower case, look-alikes (O for 0, I or L for 1), dashes and spaces.
  const typed = fc
    .tuple(raw16, fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), fc.array(fc.constantFrom('', '-', ' ', '--'), { minLength: 17, maxLength: 17 }))
    .map(([raw, lower, seps]) => ({
      raw,
      input:
        seps[0] +
        raw
          .split('')
          .map((c, i) => {
            const lookAlike = c === '0' && lower[i] ? 'O' : c === '1' && lower[i] ? (i % 2 ? 'I' : 'L') : c;
            return (lower[i] ? lookAlike.toLowerCase() : lookAlike) + seps[i + 1];
          })
          .join(''),
    }));

  it('throws only DomainError INVALID_ARGUMENT and is idempotent; the formatted code normalizes back', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, typed.map((t) => t.input)), (input) => {
        const result = attempt(() => normalizeRecoveryCode(input));
        if (!result.ok) return expect(result.error.code).toBe(DomainErrorCode.InvalidArgument);
        expect(result.value).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
        expect(normalizeRecoveryCode(result.value)).toBe(result.value);
        expect(normalizeRecoveryCode(formatRecoveryCode(result.value))).toBe(result.value);
      }),
      RUNS,
    );
  });

  it('recognizes every typed form of an issued code as that code', () => {
    fc.assert(
      fc.property(typed, ({ raw, input }) => {
        if (input.length > 64) return;
        expect(normalizeRecoveryCode(input)).toBe(raw);
      }),
      RUNS,
    );
  });
});

describe('assertUserId', () => {
  it('throws only DomainError INVALID_ARGUMENT; accepts exactly 1–255 characters without C0 or C1 controls, DEL or U+FFFD', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string({ minLength: 250, maxLength: 260 }), fc.string({ unit: 'binary', minLength: 120, maxLength: 140 }), fc.string({ unit: 'binary', minLength: 250, maxLength: 260 })), (input) => {
        const result = attempt(() => assertUserId(input));
        const characters = [...input].length; // code points, as people (and PostgreSQL's varchar) count them
        const expectedOk = characters >= 1 && characters <= 255 && !/[\u0000-\u001f\u007f-\u009f\ufffd]/.test(input);
        expect(result.ok).toBe(expectedOk);
        if (!result.ok) {
          expect(result.error.code).toBe(DomainErrorCode.InvalidArgument);
          expect(result.error.message).not.toContain(input.length >= 3 ? input : '\u0000never');
        }
      }),
      RUNS,
    );
  });
});

describe('normalizePolicy', () => {
  const number = fc.oneof(
    fc.integer({ min: -5, max: 110 }),
    fc.integer({ min: 0, max: 40_000_000 }),
    fc.constantFrom(0, 2 ** 32 - 1, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2),
    fc.double(),
  );
  const factorType = fc.oneof(fc.constantFrom('TOTP', 'SMS', 'VOICE', 'EMAIL', 'PUSH', 'DUO', 'UNSPECIFIED', 'sms', ''), anyString);
  const country = fc.oneof(fc.constantFrom('US', 'de', 'Gb', 'USA', 'ß', 'ǅ', 'ﬀ', '', 'U1'), fc.string({ minLength: 2, maxLength: 2 }), anyString);
  const policyInput: fc.Arbitrary<PolicyInput> = fc.record({
    mfaRequired: fc.boolean(),
    allowedFactorTypes: fc.array(factorType, { maxLength: 8 }),
    otpLength: number,
    otpTtlSeconds: number,
    maxVerifyAttempts: number,
    numberMatching: fc.boolean(),
    smsAllowedCountries: fc.oneof(fc.array(country, { maxLength: 6 }), fc.array(fc.constantFrom('us', 'DE', 'fr'), { maxLength: 400 })),
    lockoutThreshold: number,
    lockoutSeconds: number,
  });
  const asInput = (p: Policy): PolicyInput => ({ ...p, allowedFactorTypes: [...p.allowedFactorTypes], smsAllowedCountries: [...p.smsAllowedCountries] });

  it('throws only DomainError INVALID_ARGUMENT; the result is within bounds and normalizing it again changes nothing', () => {
    fc.assert(
      fc.property(policyInput, (input) => {
        const result = attempt(() => normalizePolicy(input));
        if (!result.ok) return expect(result.error.code).toBe(DomainErrorCode.InvalidArgument);
        const p = result.value;
        expect(normalizePolicy(asInput(p))).toEqual(p);
        expect(p.otpLength).toBeGreaterThanOrEqual(6);
        expect(p.otpLength).toBeLessThanOrEqual(8);
        for (const [value, min, max] of [
          [p.otpTtlSeconds, 1, 86_400],
          [p.maxVerifyAttempts, 1, 100],
          [p.lockoutThreshold, 1, 10_000],
          [p.lockoutSeconds, 1, 31_536_000],
        ]) {
          expect(Number.isInteger(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(min);
          expect(value).toBeLessThanOrEqual(max);
        }
        expect(p.smsAllowedCountries.every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
        expect([...p.smsAllowedCountries].sort()).toEqual(p.smsAllowedCountries);
        expect(new Set(p.allowedFactorTypes).size).toBe(p.allowedFactorTypes.length);
      }),
      RUNS,
    );
  });
});

describe('transitionChallenge / transitionDelivery / lockout', () => {
  const event: fc.Arbitrary<ChallengeEvent> = fc.oneof(
    fc.constant({ type: 'approve' as const }),
    fc.constant({ type: 'expire' as const }),
    fc.constant({ type: 'cancel' as const }),
    // Callers always give a reason for deny and fail (transitionChallenge passes it on verbatim).
    anyString.filter((r) => r.length > 0).map((reason) => ({ type: 'deny' as const, reason })),
    anyString.filter((r) => r.length > 0).map((reason) => ({ type: 'fail' as const, reason })),
  );
  const challengeStatus = fc.constantFrom<ChallengeStatus>(...CHALLENGE_STATUSES);

  it('final states stay final: any sequence of events moves PENDING at most once, and every later event is FAILED_PRECONDITION', () => {
    fc.assert(
      fc.property(challengeStatus, fc.array(event, { maxLength: 12 }), (start, events) => {
        let current = start;
        let moves = 0;
        for (const e of events) {
          const result = attempt(() => transitionChallenge(current, e));
          if (isFinalStatus(current)) {
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.error.code).toBe(DomainErrorCode.FailedPrecondition);
            continue;
          }
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(isFinalStatus(result.value.status)).toBe(true);
          if (result.value.status !== 'APPROVED') expect(result.value.reason.length).toBeGreaterThan(0);
          current = result.value.status;
          moves++;
        }
        expect(moves).toBeLessThanOrEqual(start === 'PENDING' ? 1 : 0);
      }),
      RUNS,
    );
  });

  it('delivery never leaves FAILED or NOT_REQUIRED and never goes back to QUEUED; only DomainError is thrown', () => {
    const delivery = fc.constantFrom<DeliveryStatus>('NOT_REQUIRED', 'QUEUED', 'SENT', 'FAILED');
    fc.assert(
      fc.property(delivery, fc.array(delivery, { maxLength: 10 }), (start, steps) => {
        let current = start;
        for (const to of steps) {
          const result = attempt(() => transitionDelivery(current, to));
          if (current === 'FAILED' || current === 'NOT_REQUIRED') expect(result.ok ? result.value : current).toBe(current);
          if (result.ok) {
            if (to === 'QUEUED') expect(current).toBe('QUEUED');
            current = result.value;
          }
        }
      }),
      RUNS,
    );
  });

  it('lockout: a run of failures locks exactly once, at the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 120 }), (threshold, failures) => {
        const policy = { lockoutThreshold: threshold, lockoutSeconds: 900 };
        let state = { consecutiveFailures: 0, lockedUntilMs: null as number | null };
        const lockedAt: number[] = [];
        for (let i = 1; i <= failures; i++) {
          const next = afterFailure(state, policy, 1_000_000 + i);
          if (next.justLocked) lockedAt.push(i);
          state = next.state;
        }
        expect(lockedAt).toEqual(failures >= threshold ? [threshold] : []);
      }),
      RUNS,
    );
  });
});
