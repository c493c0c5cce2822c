import { isTotpStepUsed, withTotpStepAccepted, type AcceptedTotpSteps } from '@mfa/domain';
import { base32Decode, totp } from '@mfa/testing';
import { TotpService } from './totp.service';

/** RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890". */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const STEP_SECONDS = 30;

/** Appendix B times (seconds) and the last 6 digits of the RFC's 8-digit SHA-1 values. */
const RFC_VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

const stepOf = (seconds: number): number => Math.floor(seconds / STEP_SECONDS);
/** The factor's record after the given steps were accepted, in that order. */
const acceptedSteps = (...steps: number[]): AcceptedTotpSteps => steps.reduce<AcceptedTotpSteps>((record, step) => withTotpStepAccepted(record, step), { last: null, recent: null });
const options = (nowSeconds: number, accepted: AcceptedTotpSteps = acceptedSteps()) => ({
  nowMs: nowSeconds * 1000,
  isUsed: (step: number) => isTotpStepUsed(accepted, step),
});
const fresh = (timeStep: number) => ({ timeStep, used: false });

describe('TotpService', () => {
  const service = new TotpService();

  it('decodes the RFC secret to the ASCII seed', () => {
    expect(base32Decode(RFC_SECRET).toString('ascii')).toBe('12345678901234567890');
  });

  describe('verify against RFC 6238 Appendix B (SHA-1)', () => {
    it.each(RFC_VECTORS)('T=%d → %s matches its own step', async (seconds, code) => {
      expect(totp(RFC_SECRET, seconds * 1000)).toBe(code); // the reference implementation agrees
      expect(await service.verify(RFC_SECRET, code, options(seconds))).toEqual(fresh(stepOf(seconds)));
    });

    it.each(RFC_VECTORS)('T=%d: %s is accepted one step early or late', async (seconds, code) => {
      expect(await service.verify(RFC_SECRET, code, options(seconds + STEP_SECONDS))).toEqual(fresh(stepOf(seconds)));
      expect(await service.verify(RFC_SECRET, code, options(seconds - STEP_SECONDS))).toEqual(fresh(stepOf(seconds)));
    });

    it.each(RFC_VECTORS)('T=%d: %s is refused two steps early or late', async (seconds, code) => {
      expect(await service.verify(RFC_SECRET, code, options(seconds + 2 * STEP_SECONDS))).toBeNull();
      // Two steps before T=59 would be before the Unix epoch.
      if (seconds >= 2 * STEP_SECONDS) expect(await service.verify(RFC_SECRET, code, options(seconds - 2 * STEP_SECONDS))).toBeNull();
    });

    it.each(RFC_VECTORS)('T=%d: %s is a replay once its step was accepted, and good while only its neighbours were', async (seconds, code) => {
      const step = stepOf(seconds);
      expect(await service.verify(RFC_SECRET, code, options(seconds, acceptedSteps(step)))).toEqual({ timeStep: step, used: true });
      expect(await service.verify(RFC_SECRET, code, options(seconds, acceptedSteps(step - 1)))).toEqual(fresh(step));
      expect(await service.verify(RFC_SECRET, code, options(seconds, acceptedSteps(step + 1)))).toEqual(fresh(step));
    });
  });

  // API.md refuses "a time step already accepted", nothing more: confirming an enrollment with the
  // code of a phone one step ahead must not spoil the login with the current code right after.
  it('accepts a code of a step before the last accepted one, inside the window, once', async () => {
    const now = 1111111111;
    const previous = totp(RFC_SECRET, (now - STEP_SECONDS) * 1000);
    expect(await service.verify(RFC_SECRET, previous, options(now, acceptedSteps(stepOf(now))))).toEqual(fresh(stepOf(now) - 1));
    expect(await service.verify(RFC_SECRET, previous, options(now, acceptedSteps(stepOf(now), stepOf(now) - 1)))).toEqual({ timeStep: stepOf(now) - 1, used: true });
  });

  it('refuses an earlier step of a factor whose record predates the list (every step up to the last counts as used)', async () => {
    const now = 1111111111;
    const previous = totp(RFC_SECRET, (now - STEP_SECONDS) * 1000);
    expect(await service.verify(RFC_SECRET, previous, options(now, { last: stepOf(now), recent: null }))).toEqual({ timeStep: stepOf(now) - 1, used: true });
  });

  it('keeps the window at ±1 step of the server clock after a code one step ahead (no drift following)', async () => {
    const now = 1234567890;
    const oneAhead = totp(RFC_SECRET, (now + STEP_SECONDS) * 1000);
    expect(await service.verify(RFC_SECRET, oneAhead, options(now))).toEqual(fresh(stepOf(now) + 1));
    const twoAhead = totp(RFC_SECRET, (now + 2 * STEP_SECONDS) * 1000);
    expect(await service.verify(RFC_SECRET, twoAhead, options(now, acceptedSteps(stepOf(now) + 1)))).toBeNull();
  });

  it('refuses a wrong code and a code of another secret', async () => {
    expect(await service.verify(RFC_SECRET, '000000', options(59))).toBeNull();
    const other = service.newSecret();
    expect(await service.verify(other, '287082', options(59))).toBeNull();
  });

  // If the server clock steps back (NTP correction, a replica running behind) the last used step
  // can lie ahead of the window. Such a code is a replay (not accepted); it must not throw.
  it('answers a replay, not an exception, when the last accepted step lies ahead of the window', async () => {
    const now = 1111111111;
    const code = totp(RFC_SECRET, now * 1000);
    await expect(service.verify(RFC_SECRET, code, options(now, acceptedSteps(stepOf(now) + 5)))).resolves.toEqual({ timeStep: stepOf(now), used: true });
  });

  it('writes the Key Uri Format with every parameter spelled out', () => {
    expect(service.uri('ACME Co', 'alice@example.com', RFC_SECRET)).toBe(
      `otpauth://totp/ACME%20Co:alice%40example.com?secret=${RFC_SECRET}&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30`,
    );
    expect(service.uri('MFA Gateway', 'a:b/c?d&e', RFC_SECRET)).toBe(
      `otpauth://totp/MFA%20Gateway:a%3Ab%2Fc%3Fd%26e?secret=${RFC_SECRET}&issuer=MFA%20Gateway&algorithm=SHA1&digits=6&period=30`,
    );
  });

  it('makes new secrets of 32 base32 characters (160 bits), all distinct', async () => {
    const secrets = Array.from({ length: 200 }, () => service.newSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(secret)).toHaveLength(20);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
    // A fresh secret works end to end with the reference implementation.
    const now = 1_700_000_000;
    expect(await service.verify(secrets[0], totp(secrets[0], now * 1000), options(now))).toEqual(fresh(stepOf(now)));
  });
});
