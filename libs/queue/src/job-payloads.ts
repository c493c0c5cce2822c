import { parseDuoResultEvent, type DuoResultEvent } from './duo-payloads';
import { isBoolean, isInteger, isOneOf, isOptionalString, isString, validatePayload } from './payload-validation';

/**
 * Versioned job and event payloads, validated when produced and when consumed. No plaintext code,
 * phone number or e-mail address is ever in Redis: they travel as keyring envelopes
 * (`sealed…` fields) bound to the challenge id.
 */
export type OutOfBandChannel = 'sms' | 'voice' | 'email';
export type ChallengePurpose = 'challenge' | 'enrollment';

/** `otp` queue: draw a code for a challenge and hand it to the delivering worker. */
export interface OtpJob {
  v: 1;
  challengeId: string;
  tenantId: string;
  channel: OutOfBandChannel;
  /** Envelope of the destination (E.164 number or e-mail address); aad `sealedDestinationAad`. */
  sealedDestination: string;
  codeLength: number;
  ttlSeconds: number;
  locale: string;
  purpose: ChallengePurpose;
  issuer: string;
}

/** `telephony` and `email` queues: deliver a drawn code. */
export interface DeliveryJob {
  v: 1;
  challengeId: string;
  channel: OutOfBandChannel;
  /** Envelope of `DeliveryContent` JSON; aad `sealedDeliveryAad`. */
  sealed: string;
  ttlSeconds: number;
  locale: string;
  purpose: ChallengePurpose;
  issuer: string;
}

export interface DeliveryContent {
  to: string;
  code: string;
}

/**
 * `push` queue: wake the authenticator app of a PUSH factor. The message carries only the
 * challenge id; the app fetches the details over the signed device API.
 */
export interface PushJob {
  v: 1;
  challengeId: string;
  factorId: string;
  /** Envelope of the FCM registration token; aad `sealedPushTokenAad`. */
  sealedToken: string;
  ttlSeconds: number;
}

/** `events` queue: outcomes reported back to the gateway, the only writer of challenge state. */
export type ChallengeEventJob =
  | DuoResultEvent
  | { v: 1; type: 'delivery.sent'; challengeId: string; provider: string; providerRef?: string }
  | { v: 1; type: 'delivery.failed'; challengeId: string; provider: string; reason: string; permanent: boolean }
  /** FCM says the token is dead: the gateway stops pushing to the device and fails this challenge; later ones wait for the app to poll. */
  | { v: 1; type: 'push.token_invalid'; challengeId: string; factorId: string; provider: string };

export const sealedDestinationAad = (challengeId: string): string => `job:${challengeId}:destination`;
export const sealedPushTokenAad = (challengeId: string): string => `job:${challengeId}:push-token`;
export const sealedDeliveryAad = (challengeId: string): string => `job:${challengeId}:delivery`;

const CHANNELS = ['sms', 'voice', 'email'] as const;
const PURPOSES = ['challenge', 'enrollment'] as const;

export function parseOtpJob(data: unknown): OtpJob {
  return validatePayload<OtpJob>('otp job', data, {
    v: isOneOf(1),
    challengeId: isString(64),
    tenantId: isString(64),
    channel: isOneOf(...CHANNELS),
    sealedDestination: isString(),
    codeLength: isInteger(6, 8),
    ttlSeconds: isInteger(1, 86_400),
    locale: isOptionalString(35),
    purpose: isOneOf(...PURPOSES),
    issuer: isString(255),
  });
}

export function parseDeliveryJob(data: unknown): DeliveryJob {
  return validatePayload<DeliveryJob>('delivery job', data, {
    v: isOneOf(1),
    challengeId: isString(64),
    channel: isOneOf(...CHANNELS),
    sealed: isString(),
    ttlSeconds: isInteger(1, 86_400),
    locale: isOptionalString(35),
    purpose: isOneOf(...PURPOSES),
    issuer: isString(255),
  });
}

export function parsePushJob(data: unknown): PushJob {
  return validatePayload<PushJob>('push job', data, {
    v: isOneOf(1),
    challengeId: isString(64),
    factorId: isString(64),
    sealedToken: isString(),
    ttlSeconds: isInteger(1, 86_400),
  });
}

export function parseChallengeEvent(data: unknown): ChallengeEventJob {
  const type = (data as { type?: unknown } | null)?.type;
  if (type === 'duo.result') return parseDuoResultEvent(data);
  if (type === 'push.token_invalid') {
    return validatePayload<ChallengeEventJob>('event', data, {
      v: isOneOf(1),
      type: isOneOf('push.token_invalid'),
      challengeId: isString(64),
      factorId: isString(64),
      provider: isString(64),
    } as never);
  }
  if (type === 'delivery.sent') {
    return validatePayload<ChallengeEventJob>('event', data, {
      v: isOneOf(1),
      type: isOneOf('delivery.sent'),
      challengeId: isString(64),
      provider: isString(64),
      providerRef: isOptionalString(128),
    } as never);
  }
  return validatePayload<ChallengeEventJob>('event', data, {
    v: isOneOf(1),
    type: isOneOf('delivery.failed'),
    challengeId: isString(64),
    provider: isString(64),
    reason: isString(255),
    permanent: isBoolean,
  } as never);
}
