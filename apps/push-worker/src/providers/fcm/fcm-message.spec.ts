import { buildFcmMessage } from './fcm-message';

const NOW = 1_700_000_000_000;

describe('buildFcmMessage', () => {
  it('carries nothing but the challenge id: data-only and high priority on Android, a generic alert on iOS, living as long as the challenge', () => {
    const message = buildFcmMessage({ token: 'tok', challengeId: 'ch_1', expiresAt: NOW + 120_000 }, NOW);
    expect(message).toEqual({
      token: 'tok',
      data: { challenge_id: 'ch_1' },
      android: { priority: 'high', ttl: 120_000 },
      apns: {
        headers: { 'apns-priority': '10', 'apns-push-type': 'alert', 'apns-expiration': String((NOW + 120_000) / 1_000), 'apns-collapse-id': 'ch_1' },
        payload: { aps: { alert: { title: 'Sign-in request', body: 'Open to approve or deny.' }, sound: 'default', mutableContent: true, category: 'MFA_CHALLENGE' } },
      },
    });
    expect(message).not.toHaveProperty('notification');
  });

  it('gives a retried push only the remaining lifetime (whole seconds, at least one)', () => {
    expect(buildFcmMessage({ token: 't', challengeId: 'c', expiresAt: NOW + 30_500 }, NOW).android?.ttl).toBe(31_000);
    expect(buildFcmMessage({ token: 't', challengeId: 'c', expiresAt: NOW + 10 }, NOW).android?.ttl).toBe(1_000);
  });
});
