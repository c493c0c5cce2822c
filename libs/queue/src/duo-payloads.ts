import { isOneOf, isOptionalString, isInteger, isString, validatePayload } from './payload-validation';

/**
 * `duo` queue. Preauth (at enrollment) and passcode checks are answered through the job's
 * return value, which the gateway awaits; an auth (Duo Push or phone call) runs asynchronously
 * and reports its outcome on the `events` queue as `duo.result`.
 */
export type DuoFactor = 'push' | 'phone' | 'auto';

export interface DuoPushInfo {
  application: string;
  ip: string;
  action: string;
  location: string;
}

export type DuoJob =
  | { v: 1; kind: 'preauth'; factorId: string; sealedUsername: string }
  | { v: 1; kind: 'auth'; challengeId: string; factorId: string; sealedUsername: string; factor: DuoFactor; ipaddr?: string; pushInfo: DuoPushInfo; ttlSeconds: number }
  | { v: 1; kind: 'passcode'; challengeId: string; factorId: string; sealedUsername: string; sealedPasscode: string };

export type DuoPreauthOutcome = 'auth' | 'enroll' | 'allow' | 'deny';

/**
 * What a preauth job returns: Duo's `result` and, for `enroll`, the enrollment portal. The portal
 * URL is a bearer link (whoever opens it enrolls a device for the Duo user) and a job's return
 * value stays in Redis and on the queue dashboard, so it travels sealed (aad
 * `sealedDuoEnrollUrlAad`). Results carried no `v` before this one.
 */
export interface DuoPreauthResult {
  v: 2;
  result: DuoPreauthOutcome;
  statusMessage: string;
  sealedEnrollPortalUrl?: string;
}

/** What a duo worker from before `v: 2` returns, the portal in clear; accepted only while such a worker may still run. */
export interface LegacyDuoPreauthResult {
  result: DuoPreauthOutcome;
  statusMessage: string;
  enrollPortalUrl?: string;
}

/** What a passcode job returns. */
export interface DuoPasscodeResult {
  result: 'allow' | 'deny';
  statusMessage: string;
}

/** `events` queue: the end of an asynchronous Duo auth. */
export interface DuoResultEvent {
  v: 1;
  type: 'duo.result';
  challengeId: string;
  /**
   * `withdrawn`: the challenge ended another way (a cancel, a deleted factor, a passcode) before the push went out,
   * and the worker sent none (`challengeEndedKey`). Gateways from before it reject the event: roll them
   * out first, as README's upgrade order says.
   */
  result: 'allow' | 'deny' | 'timeout' | 'error' | 'withdrawn';
  /** Human readable, from Duo's status message or ours; never the username. */
  reason: string;
}

/** Where the duo worker keeps the txid of a challenge's Duo auth: once it exists, the push has gone out. */
export const duoTxidKey = (prefix: string, challengeId: string): string => `${prefix}:duo-txid:${challengeId}`;
export const sealedDuoUsernameAad = (factorId: string): string => `factor:${factorId}:duo-username`;
export const sealedDuoPasscodeAad = (challengeId: string): string => `job:${challengeId}:duo-passcode`;
/** Binds a sealed portal URL to the one preauth job that asked: another job's answer does not open in its place. */
export const sealedDuoEnrollUrlAad = (factorId: string, jobId: string): string => `job:${jobId}:factor:${factorId}:duo-enroll-url`;

const PREAUTH_OUTCOMES = ['auth', 'enroll', 'allow', 'deny'] as const;
/** Duo's status message: may be empty. */
const isStatusMessage = (value: unknown): boolean => typeof value === 'string' && value.length <= 255;

const pushInfoValid = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const info = value as Record<string, unknown>;
  return ['application', 'ip', 'action', 'location'].every((key) => typeof info[key] === 'string' && (info[key] as string).length <= 512);
};

export function parseDuoJob(data: unknown): DuoJob {
  const kind = (data as { kind?: unknown } | null)?.kind;
  if (kind === 'preauth') {
    return validatePayload<DuoJob>('duo job', data, { v: isOneOf(1), kind: isOneOf('preauth'), factorId: isString(64), sealedUsername: isString() } as never);
  }
  if (kind === 'passcode') {
    return validatePayload<DuoJob>('duo job', data, {
      v: isOneOf(1),
      kind: isOneOf('passcode'),
      challengeId: isString(64),
      factorId: isString(64),
      sealedUsername: isString(),
      sealedPasscode: isString(),
    } as never);
  }
  return validatePayload<DuoJob>('duo job', data, {
    v: isOneOf(1),
    kind: isOneOf('auth'),
    challengeId: isString(64),
    factorId: isString(64),
    sealedUsername: isString(),
    factor: isOneOf('push', 'phone', 'auto'),
    ipaddr: isOptionalString(64),
    pushInfo: pushInfoValid,
    ttlSeconds: isInteger(1, 86_400),
  } as never);
}

/**
 * A preauth job's return value, checked by the worker before it returns it and by the gateway
 * when it reads it. A portal URL comes only with `enroll`. The legacy shape is accepted so
 * enrollments keep working while older workers drain during a rolling deploy.
 */
export function parseDuoPreauthResult(data: unknown): DuoPreauthResult | LegacyDuoPreauthResult {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const portal = record.result === 'enroll' ? isOptionalString() : isOneOf(undefined);
  if (!('v' in record)) {
    return validatePayload<LegacyDuoPreauthResult>('duo preauth result', data, {
      result: isOneOf(...PREAUTH_OUTCOMES),
      statusMessage: isStatusMessage,
      enrollPortalUrl: portal,
    });
  }
  return validatePayload<DuoPreauthResult>('duo preauth result', data, {
    v: isOneOf(2),
    result: isOneOf(...PREAUTH_OUTCOMES),
    statusMessage: isStatusMessage,
    sealedEnrollPortalUrl: portal,
  });
}

export function parseDuoResultEvent(data: unknown): DuoResultEvent {
  return validatePayload<DuoResultEvent>('event', data, {
    v: isOneOf(1),
    type: isOneOf('duo.result'),
    challengeId: isString(64),
    result: isOneOf('allow', 'deny', 'timeout', 'error', 'withdrawn'),
    reason: isString(255),
  });
}
