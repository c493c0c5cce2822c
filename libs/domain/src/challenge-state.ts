import { assertUnreachable } from './assert-unreachable';
import { DomainError, DomainErrorCode, failedPrecondition } from './errors';

export type ChallengeStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'FAILED' | 'CANCELED';

export const CHALLENGE_STATUSES: readonly ChallengeStatus[] = Object.freeze([
  'PENDING',
  'APPROVED',
  'DENIED',
  'EXPIRED',
  'FAILED',
  'CANCELED',
]);

/** Every status but PENDING is final: a challenge never leaves it. */
export function isFinalStatus(status: ChallengeStatus): boolean {
  return status !== 'PENDING';
}

export type ChallengeEvent =
  | { type: 'approve' }
  | { type: 'deny'; reason: string }
  | { type: 'expire' }
  | { type: 'fail'; reason: string }
  | { type: 'cancel' };

export function transitionChallenge(
  from: ChallengeStatus,
  event: ChallengeEvent,
): { status: ChallengeStatus; reason: string } {
  if (isFinalStatus(from)) {
    throw failedPrecondition(`challenge is no longer pending (${from.toLowerCase()})`);
  }
  switch (event.type) {
    case 'approve':
      return { status: 'APPROVED', reason: '' };
    case 'deny':
      return { status: 'DENIED', reason: event.reason };
    case 'expire':
      return { status: 'EXPIRED', reason: 'challenge expired' };
    case 'fail':
      return { status: 'FAILED', reason: event.reason };
    case 'cancel':
      return { status: 'CANCELED', reason: 'canceled by the caller' };
    default:
      return assertUnreachable(event);
  }
}

export type DeliveryStatus = 'NOT_REQUIRED' | 'QUEUED' | 'SENT' | 'FAILED';

// SENT → FAILED exists because a provider may accept a message and report its failure later.
const DELIVERY_TRANSITIONS: Readonly<Record<DeliveryStatus, readonly DeliveryStatus[]>> = {
  NOT_REQUIRED: [],
  // NOT_REQUIRED: withdrawn before any worker sent it, the challenge having ended.
  QUEUED: ['SENT', 'FAILED', 'NOT_REQUIRED'],
  SENT: ['FAILED'],
  FAILED: [],
};

/** Same → same is accepted (workers and provider callbacks may be delivered twice). */
export function transitionDelivery(from: DeliveryStatus, to: DeliveryStatus): DeliveryStatus {
  if (from === to || DELIVERY_TRANSITIONS[from].includes(to)) {
    return to;
  }
  throw new DomainError(
    DomainErrorCode.FailedPrecondition,
    `delivery cannot go from ${from.toLowerCase()} to ${to.toLowerCase()}`,
  );
}

export function isExpired(expiresAtMs: number, nowMs: number): boolean {
  return nowMs >= expiresAtMs;
}

export function registerWrongCode(attemptsRemaining: number): {
  attemptsRemaining: number;
  exhausted: boolean;
} {
  const left = Math.max(0, attemptsRemaining - 1);
  return { attemptsRemaining: left, exhausted: left === 0 };
}
