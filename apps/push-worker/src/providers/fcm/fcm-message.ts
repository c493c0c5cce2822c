import type { TokenMessage } from 'firebase-admin/messaging';
import type { PushMessage } from '../push.provider';

/**
 * APNs priority of a background push. Apple requires 5 for `apns-push-type: background`
 * (10 is refused for content-available-only payloads); FCM's Android `high` is what wakes the app.
 */
export const APNS_BACKGROUND_PRIORITY = '5';

/**
 * The FCM message for a push approval: data only (the app shows its own notification after
 * fetching the details over the signed device API), carrying nothing but the challenge id — no
 * user, application, location or binding code ever goes through Google or Apple. It lives no
 * longer than the challenge: Android `ttl` is the remaining lifetime, APNs gets its expiry time.
 */
export function buildFcmMessage(push: PushMessage, now: number): TokenMessage {
  const remainingSeconds = Math.max(1, Math.ceil((push.expiresAt - now) / 1_000));
  return {
    token: push.token,
    data: { challenge_id: push.challengeId },
    android: { priority: 'high', ttl: remainingSeconds * 1_000 },
    apns: {
      headers: {
        'apns-priority': APNS_BACKGROUND_PRIORITY,
        'apns-push-type': 'background',
        'apns-expiration': String(Math.floor(push.expiresAt / 1_000)),
      },
      payload: { aps: { contentAvailable: true } },
    },
  };
}
