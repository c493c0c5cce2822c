import { AuthenticatorError } from './errors';

/** Statuses as the device API spells them (API.md §2). */
export const CHALLENGE_STATUSES = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'FAILED', 'CANCELED'] as const;
export type ChallengeStatus = (typeof CHALLENGE_STATUSES)[number];

/** Where the login happens, to show the user before they approve. Empty strings when unknown. */
export interface ChallengeContext {
  application: string;
  ip: string;
  userAgent: string;
  action: string;
  location: string;
}

export interface DeviceChallenge {
  id: string;
  status: ChallengeStatus;
  /** RFC 3339. */
  createdAt: string;
  /** RFC 3339. */
  expiresAt: string;
  context: ChallengeContext;
  /** True: the user must type or pick the number shown on the login screen to approve. */
  numberMatching: boolean;
}

const badResponse = (message: string): AuthenticatorError => new AuthenticatorError('invalid_response', `unexpected gateway response: ${message}`);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Empty strings and false may be left out by a JSON encoder that omits defaults (proto3 style).
function optionalString(object: Record<string, unknown>, name: string): string {
  const value = object[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badResponse(`${name} is not a string`);
  return value;
}

export function parseStatus(value: unknown): ChallengeStatus {
  if (typeof value !== 'string' || !(CHALLENGE_STATUSES as readonly string[]).includes(value)) throw badResponse(`unknown status ${JSON.stringify(value)}`);
  return value as ChallengeStatus;
}

export function parseChallenge(value: unknown): DeviceChallenge {
  if (!isObject(value)) throw badResponse('a challenge is not an object');
  if (typeof value.id !== 'string' || value.id === '') throw badResponse('a challenge has no id');
  const context = value.context ?? {};
  if (!isObject(context)) throw badResponse('context is not an object');
  if (value.number_matching !== undefined && typeof value.number_matching !== 'boolean') throw badResponse('number_matching is not a boolean');
  return {
    id: value.id,
    status: parseStatus(value.status),
    createdAt: optionalString(value, 'created_at'),
    expiresAt: optionalString(value, 'expires_at'),
    context: {
      application: optionalString(context, 'application'),
      ip: optionalString(context, 'ip'),
      userAgent: optionalString(context, 'user_agent'),
      action: optionalString(context, 'action'),
      location: optionalString(context, 'location'),
    },
    numberMatching: value.number_matching === true,
  };
}

export function parseChallengeList(value: unknown): DeviceChallenge[] {
  if (!isObject(value) || !Array.isArray(value.challenges)) throw badResponse('expected {challenges: [...]}');
  return value.challenges.map(parseChallenge);
}

export function parseResponseStatus(value: unknown): { status: ChallengeStatus } {
  if (!isObject(value)) throw badResponse('expected {status}');
  return { status: parseStatus(value.status) };
}

export function parseEnrollResponse(value: unknown): { deviceId: string; factorId: string } {
  if (!isObject(value) || typeof value.device_id !== 'string' || value.device_id === '' || typeof value.factor_id !== 'string' || value.factor_id === '') {
    throw badResponse('expected {device_id, factor_id}');
  }
  return { deviceId: value.device_id, factorId: value.factor_id };
}
