import { fcmErrors, type FcmErrorResponse } from './fcm-errors';

/** The `message` of a `messages:send` request, as FCM HTTP v1 receives it. */
export interface FcmWireMessage {
  token?: string;
  topic?: string;
  condition?: string;
  data?: Record<string, string>;
  notification?: Record<string, unknown>;
  android?: { priority?: string; ttl?: string; collapse_key?: string; data?: Record<string, string>; [key: string]: unknown };
  apns?: { headers?: Record<string, string>; payload?: { aps?: Record<string, unknown>; [key: string]: unknown } };
  webpush?: Record<string, unknown>;
  fcm_options?: Record<string, unknown>;
}

export type ParsedSend = { ok: true; message: FcmWireMessage; validateOnly: boolean } | { ok: false; error: FcmErrorResponse };

const MESSAGE_FIELDS = new Set(['name', 'token', 'topic', 'condition', 'data', 'notification', 'android', 'apns', 'webpush', 'fcm_options']);
/** Keys FCM reserves in `data` (https://firebase.google.com/docs/cloud-messaging/concept-options). */
const RESERVED_DATA_KEY = /^(from|notification|message_type|google(\..*)?|gcm(\..*)?)$/i;
const DURATION = /^\d+(\.\d{1,9})?s$/;
/** FCM refuses a TTL above four weeks. */
const MAX_TTL_SECONDS = 2_419_200;
/** FCM's payload limit for a message. */
const MAX_MESSAGE_BYTES = 4_096;

const fail = (field: string, description: string): ParsedSend => ({ ok: false, error: fcmErrors.invalidArgument(field, description) });
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMap(value: unknown, field: string): ParsedSend | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return fail(field, `Invalid value at '${field}': expected a map of strings`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') return fail(`${field}[${key}]`, `Invalid value at '${field}[${key}]' (TYPE_STRING)`);
  }
  return undefined;
}

/** Validates a `messages:send` body like FCM HTTP v1 does, for the fields the workers use. */
export function parseSendRequest(body: unknown): ParsedSend {
  if (!isRecord(body)) return fail('', 'Invalid JSON payload received.');
  for (const key of Object.keys(body)) {
    if (key !== 'message' && key !== 'validate_only' && key !== 'validateOnly') return fail(key, `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
  }
  const message = body.message;
  if (!isRecord(message)) return fail('message', 'Request contains an invalid argument: message is required.');
  for (const key of Object.keys(message)) {
    if (!MESSAGE_FIELDS.has(key)) return fail(`message.${key}`, `Invalid JSON payload received. Unknown name "${key}" at 'message': Cannot find field.`);
  }
  const targets = (['token', 'topic', 'condition'] as const).filter((key) => message[key] !== undefined);
  if (targets.length !== 1) return fail('message', 'Exactly one of message.token, message.topic or message.condition must be set.');
  const target = targets[0] as 'token' | 'topic' | 'condition';
  if (typeof message[target] !== 'string' || (message[target] as string).length === 0) return fail(`message.${target}`, `Invalid value at 'message.${target}' (TYPE_STRING)`);
  const dataProblem = stringMap(message.data, 'message.data');
  if (dataProblem) return dataProblem;
  for (const key of Object.keys((message.data as Record<string, string> | undefined) ?? {})) {
    if (RESERVED_DATA_KEY.test(key)) return fail(`message.data[${key}]`, `Invalid data payload key: ${key} is reserved`);
  }
  if (message.android !== undefined) {
    const android = message.android;
    if (!isRecord(android)) return fail('message.android', "Invalid value at 'message.android'");
    if (android.priority !== undefined && !['normal', 'high'].includes(String(android.priority).toLowerCase())) {
      return fail('message.android.priority', `Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "${String(android.priority)}"`);
    }
    if (android.ttl !== undefined) {
      if (typeof android.ttl !== 'string' || !DURATION.test(android.ttl)) return fail('message.android.ttl', "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration)");
      if (Number.parseFloat(android.ttl) > MAX_TTL_SECONDS) return fail('message.android.ttl', 'The TTL must be at most 4 weeks');
    }
    const androidData = stringMap(android.data, 'message.android.data');
    if (androidData) return androidData;
  }
  if (message.apns !== undefined) {
    const apns = message.apns;
    if (!isRecord(apns)) return fail('message.apns', "Invalid value at 'message.apns'");
    const headers = stringMap(apns.headers, 'message.apns.headers');
    if (headers) return headers;
    if (apns.payload !== undefined && !isRecord(apns.payload)) return fail('message.apns.payload', "Invalid value at 'message.apns.payload'");
    const apnsProblem = apnsRules((apns.headers as Record<string, string> | undefined) ?? {}, isRecord(apns.payload) && isRecord(apns.payload.aps) ? apns.payload.aps : {});
    if (apnsProblem) return fail('message.apns', apnsProblem);
  }
  if (Buffer.byteLength(JSON.stringify(message)) > MAX_MESSAGE_BYTES) return fail('message', 'Message is too big');
  return { ok: true, message: message as FcmWireMessage, validateOnly: body.validate_only === true || body.validateOnly === true };
}

/**
 * What APNs refuses (FCM relays its rejection): a background push must be priority 5 (or 1) and
 * carry no alert, sound or badge; an alert push must show something.
 * https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
 */
function apnsRules(headers: Record<string, string>, aps: Record<string, unknown>): string | undefined {
  const type = headers['apns-push-type'];
  const priority = headers['apns-priority'];
  if (priority !== undefined && !['10', '5', '1'].includes(priority)) return `APNs rejected the message: BadPriority (${priority})`;
  const shows = aps.alert !== undefined || aps.sound !== undefined || aps.badge !== undefined;
  if (type === 'background') {
    if (priority === '10') return 'APNs rejected the message: a background push must have apns-priority 5 or 1 (BadPriority)';
    if (shows) return 'APNs rejected the message: a background push cannot carry an alert, sound or badge (InvalidPushType)';
  }
  if (type === 'alert' && !shows) return 'APNs rejected the message: an alert push must carry an alert, sound or badge (InvalidPushType)';
  return undefined;
}
