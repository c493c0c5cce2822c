import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createFakeServiceAccount, FcmFake, type ServiceAccountJson } from '@mfa/fakes';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { DeadPushTokenError, diagnosticsOf } from '../push.provider';
import { FcmFailureReason } from './fcm-error-classification';
import { FcmPushProvider } from './fcm-push.provider';

const keyOf = (sa: ServiceAccountJson) => ({ clientEmail: sa.client_email, privateKey: sa.private_key, tokenUri: sa.token_uri });

describe('FcmPushProvider through real firebase-admin against the FCM fake', () => {
  const fake = new FcmFake({ projectId: 'acme-mfa' });
  const providers: FcmPushProvider[] = [];
  const provider = (overrides: { baseUrl?: string; serviceAccount?: ServiceAccountJson; projectId?: string } = {}) => {
    const created = new FcmPushProvider({
      projectId: overrides.projectId ?? fake.projectId,
      serviceAccount: keyOf(overrides.serviceAccount ?? (fake.serviceAccount as ServiceAccountJson)),
      apiBaseUrl: new URL(overrides.baseUrl ?? fake.url),
    });
    providers.push(created);
    return created;
  };
  const push = (token = 'device-token') => ({ token, challengeId: 'ch_1', expiresAt: Date.now() + 60_000 });
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  beforeAll(() => fake.start());
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  it('redirects the token exchange and messages:send to FCM_API_BASE_URL over plain HTTP and returns the message name', async () => {
    const fcm = provider();
    const result = await fcm.send(push());
    expect(fcm.endpoint).toBe(`http://127.0.0.1:${fake.port}`);
    expect(result.providerRef).toMatch(/^projects\/acme-mfa\/messages\/[0-9a-f]+$/);
    const recorded = await fake.waitFor();
    expect(recorded).toMatchObject({ name: result.providerRef, token: 'device-token', data: { challenge_id: 'ch_1' } });
    expect(recorded.message.android).toEqual({ priority: 'high', ttl: '60s' });
    expect(recorded.message.apns?.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-priority': '10', 'apns-collapse-id': 'ch_1' });
  });

  it.each([
    ['unregistered', 'messaging/registration-token-not-registered'],
    ['invalid_token', 'messaging/invalid-argument'],
  ] as const)('turns %s into a DeadPushTokenError', async (fault, code) => {
    fake.failNext(1, fault);
    const error = await failure(provider().send(push()));
    expect(error).toBeInstanceOf(DeadPushTokenError);
    expect((error as DeadPushTokenError).providerCode).toBe(code);
    expect((error as Error).message).not.toContain('device-token');
  });

  it.each(['internal', 'quota'] as const)('turns %s into a retryable error', async (fault) => {
    fake.failNext(1, fault);
    expect(await failure(provider().send(push()))).toBeInstanceOf(RetryableProviderError);
  });

  it.each([
    ['sender_id_mismatch', FcmFailureReason.ProjectMismatch],
    ['third_party_auth', FcmFailureReason.ApnsCredentials],
  ] as const)('turns %s into a permanent error for the operator', async (fault, reason) => {
    fake.failNext(1, fault);
    const error = await failure(provider().send(push()));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ reason, provider: 'fcm' });
    expect(diagnosticsOf(error)).toMatchObject({ action: expect.stringContaining('GOOGLE_APPLICATION_CREDENTIALS') });
  });

  it('turns a refused service-account key (invalid_grant) into a permanent credentials error, sending nothing', async () => {
    const impostor = createFakeServiceAccount('acme-mfa').serviceAccount;
    const error = await failure(provider({ serviceAccount: impostor }).send(push()));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error).toMatchObject({ reason: FcmFailureReason.Credentials });
    expect(diagnosticsOf(error)).toMatchObject({ fcmCode: 'app/invalid-credential', tokenStatus: 400, tokenError: 'invalid_grant' });
    expect(fake.sendAttempts).toHaveLength(0);
  });

  it('turns an unreachable endpoint (token server down) into a retryable error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const error = await failure(provider({ baseUrl: `http://127.0.0.1:${closed}` }).send(push()));
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(diagnosticsOf(error)).toMatchObject({ fcmCode: 'app/invalid-credential', tokenError: 'ECONNREFUSED' });
  });

  it('reuses its access token across sends', async () => {
    const fcm = provider();
    const before = fake.tokenExchangeCount;
    await fcm.send(push('a'));
    await fcm.send(push('b'));
    expect(fake.tokenExchangeCount).toBe(before + 1);
  });
});
