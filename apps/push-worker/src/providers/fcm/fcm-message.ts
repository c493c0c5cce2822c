import type { TokenMessage } from 'firebase-admin/messaging';
import type { PushMessage } from '../push.provider';

/** APNs priority of a push the user acts on now: delivered at once, never held back for power. */
export const APNS_IMMEDIATE_PRIORITY = '10';

/**
 * What an iPhone shows before the app runs: generic on purpose, since it crosses Apple's servers.
 * With `mutable-content` the app's notification service extension fetches the challenge over the
 * signed device API and replaces it with the application, place and time (and its own language).
 */
export const APNS_ALERT = { title: 'Sign-in request', body: 'Open to approve or deny.' } as const;
export const APNS_CATEGORY = 'MFA_CHALLENGE';

/**
 * The FCM message for a push approval, carrying nothing but the challenge id: no user,
 * application, location or binding code ever goes through Google or Apple. Android gets it as
 * data only, high priority (the app builds its own notification after fetching the details).
 * iOS gets a visible alert push: Apple throttles background (content-available) pushes and may
 * hold them for hours, which a sign-in cannot wait for. It lives no longer than the challenge:
 * Android `ttl` is the remaining lifetime, APNs gets its expiry time, and a retry of the same
 * challenge replaces the notification already shown (`apns-collapse-id`).
 */
export function buildFcmMessage(push: PushMessage, now: number): TokenMessage {
  const remainingSeconds = Math.max(1, Math.ceil((push.expiresAt - now) / 1_000));
  return {
    token: push.token,
    data: { challenge_id: push.challengeId },
    android: { priority: 'high', ttl: remainingSeconds * 1_000 },
    apns: {
      headers: {
        'apns-priority': APNS_IMMEDIATE_PRIORITY,
        'apns-push-type': 'alert',
        'apns-expiration': String(Math.floor(push.expiresAt / 1_000)),
        'apns-collapse-id': push.challengeId,
      },
      payload: { aps: { alert: { ...APNS_ALERT }, sound: 'default', mutableContent: true, category: APNS_CATEGORY } },
    },
  };
}
