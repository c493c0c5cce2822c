import { AuthenticatorError } from './errors';

export interface PushPayload {
  challengeId: string;
}

/**
 * The challenge an FCM data message announces. The message carries only `challenge_id` (no
 * personal data), so the app fetches the details with `Authenticator.challenge(id)`.
 */
export function decodePushPayload(data: Record<string, string> | null | undefined): PushPayload {
  const challengeId = data?.challenge_id;
  if (typeof challengeId !== 'string' || challengeId.trim() === '') {
    throw new AuthenticatorError('invalid_push_payload', 'the push message has no challenge_id');
  }
  return { challengeId: challengeId.trim() };
}
