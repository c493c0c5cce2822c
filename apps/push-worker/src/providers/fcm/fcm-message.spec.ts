import { buildFcmMessage } from './fcm-message';

const NOW = 1_700_000_000_000;

describe('buildFcmMessage', () => {
  it('is data-only with nothing but the challenge id, high priority, and lives as long as the challenge', () => {
    const message = buildFcmMessage({ token: 'tok', challengeId: 'ch_1', expiresAt: NOW + 120_000 }, NOW);
    expect(message).toEqual({
      token: 'tok',
      data: { challenge_id: 'ch_1' },
      android: { priority: 'high', ttl: 120_000 },
      apns: {
        headers: { 'apns-priority': '5', 'apns-push-type': 'background', 'apns-expiration': String((NOW + 120_000) / 1_000) },
        payload: { aps: { contentAvailable: true } },
      },
    });
    expect(message).not.toHaveProperty('notification');
  });

  it('gives a retried push only the remaining lifetime (whole seconds, at least one)', () => {
    expect(buildFcmMessage({ token: 't', challengeId: 'c', expiresAt: NOW + 30_500 }, NOW).android?.ttl).toBe(31_000);
    expect(buildFcmMessage({ token: 't', challengeId: 'c', expiresAt: NOW + 10 }, NOW).android?.ttl).toBe(1_000);
  });
});
