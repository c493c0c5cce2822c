import { describe, expect, it } from '@jest/globals';
import {
  CHALLENGE_STATUSES,
  type ChallengeEvent,
  type ChallengeStatus,
  type DeliveryStatus,
  isExpired,
  isFinalStatus,
  registerWrongCode,
  transitionChallenge,
  transitionDelivery,
} from './challenge-state';
import { DomainError, DomainErrorCode } from './errors';

const EVENTS: ChallengeEvent[] = [
  { type: 'approve' },
  { type: 'deny', reason: 'denied on the device' },
  { type: 'expire' },
  { type: 'fail', reason: 'too many wrong codes' },
  { type: 'cancel' },
];
const FINAL_STATUSES = CHALLENGE_STATUSES.filter((status) => status !== 'PENDING');

describe('challenge statuses', () => {
  it('lists the six statuses of the API', () => {
    expect([...CHALLENGE_STATUSES]).toEqual(['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'FAILED', 'CANCELED']);
  });

  it.each<[ChallengeStatus, boolean]>([
    ['PENDING', false],
    ['APPROVED', true],
    ['DENIED', true],
    ['EXPIRED', true],
    ['FAILED', true],
    ['CANCELED', true],
  ])('isFinalStatus(%s) is %s', (status, final) => {
    expect(isFinalStatus(status)).toBe(final);
  });
});

describe('transitionChallenge', () => {
  it.each<[ChallengeEvent, ChallengeStatus, string]>([
    [{ type: 'approve' }, 'APPROVED', ''],
    [{ type: 'deny', reason: 'denied on the device' }, 'DENIED', 'denied on the device'],
    [{ type: 'expire' }, 'EXPIRED', 'challenge expired'],
    [{ type: 'fail', reason: 'too many wrong codes' }, 'FAILED', 'too many wrong codes'],
    [{ type: 'cancel' }, 'CANCELED', 'canceled by the caller'],
  ])('PENDING + %j → %s with reason %j', (event, status, reason) => {
    expect(transitionChallenge('PENDING', event)).toEqual({ status, reason });
  });

  const finalPairs = FINAL_STATUSES.flatMap((from) => EVENTS.map((event) => [from, event] as const));

  it('covers every final status × event pair (25)', () => {
    expect(finalPairs).toHaveLength(25);
  });

  it.each(finalPairs)('%s + %j is rejected: the challenge is no longer pending', (from, event) => {
    let thrown: unknown;
    try {
      transitionChallenge(from, event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({
      code: DomainErrorCode.FailedPrecondition,
      message: `challenge is no longer pending (${from.toLowerCase()})`,
    });
  });

  it('fails loudly on an event type outside the union', () => {
    const bogus = { type: 'teleport' } as unknown as ChallengeEvent;
    expect(() => transitionChallenge('PENDING', bogus)).toThrow(
      expect.objectContaining({ code: DomainErrorCode.Internal }),
    );
  });
});

describe('transitionDelivery', () => {
  const allowed: Array<[DeliveryStatus, DeliveryStatus]> = [
    ['NOT_REQUIRED', 'NOT_REQUIRED'],
    ['QUEUED', 'QUEUED'],
    ['QUEUED', 'SENT'],
    ['QUEUED', 'FAILED'],
    ['QUEUED', 'NOT_REQUIRED'],
    ['SENT', 'SENT'],
    ['SENT', 'FAILED'],
    ['FAILED', 'FAILED'],
  ];
  const rejected: Array<[DeliveryStatus, DeliveryStatus]> = [
    ['NOT_REQUIRED', 'QUEUED'],
    ['NOT_REQUIRED', 'SENT'],
    ['NOT_REQUIRED', 'FAILED'],
    ['SENT', 'NOT_REQUIRED'],
    ['SENT', 'QUEUED'],
    ['FAILED', 'NOT_REQUIRED'],
    ['FAILED', 'QUEUED'],
    ['FAILED', 'SENT'],
  ];

  it('covers all 16 pairs of the four delivery statuses', () => {
    const keys = new Set([...allowed, ...rejected].map(([from, to]) => `${from}>${to}`));
    expect(keys.size).toBe(16);
  });

  it.each(allowed)('%s → %s is allowed', (from, to) => {
    expect(transitionDelivery(from, to)).toBe(to);
  });

  it.each(rejected)('%s → %s is rejected as a failed precondition', (from, to) => {
    expect(() => transitionDelivery(from, to)).toThrow(
      expect.objectContaining({ code: DomainErrorCode.FailedPrecondition }),
    );
  });
});

describe('isExpired', () => {
  it.each([
    [1_000, 999, false],
    [1_000, 1_000, true],
    [1_000, 1_001, true],
    [1_000, 0, false],
  ])('expiresAt %d, now %d → %s', (expiresAt, now, expired) => {
    expect(isExpired(expiresAt, now)).toBe(expired);
  });
});

describe('registerWrongCode', () => {
  it.each([
    [5, 4, false],
    [2, 1, false],
    [1, 0, true],
    [0, 0, true],
    [-3, 0, true],
  ])('%d attempts left → %d, exhausted %s', (before, after, exhausted) => {
    expect(registerWrongCode(before)).toEqual({ attemptsRemaining: after, exhausted });
  });
});
