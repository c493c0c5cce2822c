import { DeviceApiError } from './device-api.error';
import { type DeviceJwtError, parseDevicePublicKey } from './device-jwt';
import type { EnrollDeviceCommand } from '../usecases/enroll-device.usecase';
import type { DeviceResponse } from '../usecases/respond-to-challenge.usecase';

const badRequest = (message: string): DeviceApiError => new DeviceApiError(400, 'bad_request', message);
const CONTROL = /[\u0000-\u001f\u007f]/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseEnrollDevice(body: unknown): EnrollDeviceCommand {
  if (!isObject(body)) throw badRequest('body must be a JSON object');
  const { ticket, public_key: publicKey, push, name } = body;
  if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 128) throw new DeviceApiError(400, 'invalid_ticket', 'the enrollment ticket is unknown, used or expired');
  let jwk;
  try {
    jwk = parseDevicePublicKey(publicKey).jwk;
  } catch (error) {
    throw badRequest((error as DeviceJwtError).message);
  }
  const pushToken = parsePushRegistration(push);
  if (typeof name !== 'string' || name.trim().length === 0 || [...name].length > 64 || CONTROL.test(name)) throw badRequest('name is required, 1 to 64 characters');
  return { ticket, publicKey: jwk, pushToken, name: name.trim() };
}

/** `push: {platform: "fcm", token}` → the FCM token; `{platform: "none"}` (the device polls) → null. */
function parsePushRegistration(push: unknown): string | null {
  if (!isObject(push) || (push.platform !== 'fcm' && push.platform !== 'none')) throw badRequest('push.platform must be "fcm" or "none"');
  if (push.platform === 'none') return null;
  if (typeof push.token !== 'string' || push.token.length === 0 || push.token.length > 4096 || CONTROL.test(push.token)) throw badRequest('push.token is required for platform "fcm"');
  return push.token;
}

/** PUT /device/v1/push: `{push: {platform, token?}}`, as at enrollment. */
export function parsePushUpdate(body: unknown): string | null {
  if (!isObject(body)) throw badRequest('body must be a JSON object');
  return parsePushRegistration(body.push);
}

/** The signed response's claims, checked against the challenge in the path. */
export function parseDeviceResponse(pathChallengeId: string, claims: Record<string, unknown>): DeviceResponse {
  if (claims.challenge_id !== pathChallengeId) throw badRequest('response is for another challenge');
  if (claims.decision !== 'approve' && claims.decision !== 'deny') throw badRequest('decision must be "approve" or "deny"');
  const bindingCode = parseBindingCode(claims.binding_code);
  if (claims.fraud !== undefined && typeof claims.fraud !== 'boolean') throw badRequest('fraud must be a boolean');
  // "This wasn't me" while approving contradicts itself: refuse it rather than guess which half was meant.
  if (claims.fraud === true && claims.decision !== 'deny') throw badRequest('fraud: true goes with decision "deny" only');
  return { challengeId: pathChallengeId, decision: claims.decision, bindingCode, fraud: claims.fraud === true };
}

/**
 * The number the user typed on the device: a string as the login screen shows it, or, from an
 * app that sent what the user typed as a JSON number, that number's digits (the codes have no
 * leading zero). Anything else is a bad body, and no attempt is used.
 */
function parseBindingCode(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value !== 'string' || value.length > 16) throw badRequest('binding_code must be a string of at most 16 characters, e.g. "42"');
  return value;
}

export function parseResponseBody(body: unknown): string {
  if (!isObject(body) || typeof body.response !== 'string' || body.response.length === 0) throw badRequest('body must be {"response": "<JWS>"}');
  return body.response;
}

/**
 * `?status=` of the challenge list: only pending challenges are listed, so `pending` is the one
 * filter, taken in any case since the JSON spells statuses in capitals (`PENDING`).
 */
export function checkStatusFilter(status: unknown): void {
  if (status === undefined) return;
  if (typeof status !== 'string' || status.toLowerCase() !== 'pending') throw badRequest('status must be "pending"');
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
export function parseChallengeIdParam(id: string): string {
  if (!ID.test(id)) throw new DeviceApiError(404, 'not_found', 'challenge not found');
  return id;
}
