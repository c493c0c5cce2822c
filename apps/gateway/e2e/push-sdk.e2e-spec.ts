import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { Authenticator, DeviceApiError, MemoryDeviceStore } from '@mfa/authenticator-sdk';
import { FcmFake } from '@mfa/fakes';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { createPushWorker } from '../../push-worker/src/push-worker.worker';
import { startGateway, type RunningGateway } from './gateway-harness';
import { DEAD_PUSH_TOKEN_REASON } from '../src/events/apply-push-token-invalid.usecase';

/**
 * Push approvals end to end, the way a company's app does them: the SDK in this process is the
 * authenticator, the real push worker sends through firebase-admin to the loopback FCM.
 */
describe('push approvals with the authenticator SDK and FCM', () => {
  let gateway: RunningGateway;
  let client: MfaClient;
  let fcm: FcmFake;
  let worker: StartedWorker;
  let credentialsDir: string;

  beforeAll(async () => {
    fcm = new FcmFake();
    await fcm.start();
    credentialsDir = mkdtempSync(join(tmpdir(), 'mfa-fcm-'));
    gateway = await startGateway({ driver: 'postgres' });
    client = gateway.client();
    const pushEnv = { FIREBASE_PROJECT_ID: fcm.projectId, GOOGLE_APPLICATION_CREDENTIALS: fcm.writeServiceAccountFile(credentialsDir), FCM_API_BASE_URL: fcm.url };
    worker = await startWorker(createPushWorker(pushEnv), loadWorkerConfig('push-worker', 8, { ...gateway.env, HTTP_PORT: '0' }), '127.0.0.1');
  });
  afterAll(async () => {
    await worker.close();
    await gateway.close();
    await fcm.stop();
    rmSync(credentialsDir, { recursive: true, force: true });
  });

  async function enrolledApp(userId: string, fcmToken: string): Promise<Authenticator> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: `${userId}@example.com` });
    return Authenticator.enroll(enrollment.push!.enrollment_uri, { name: `${userId}'s phone`, push: { platform: 'fcm', token: fcmToken }, store: new MemoryDeviceStore(), now: () => gateway.clock.now() });
  }

  function watch(challengeId: string): { seen: string[]; done: Promise<void> } {
    const seen: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const stream = client.watchChallenge({ challenge_id: challengeId });
      stream.on('data', (c: Challenge) => seen.push(c.status));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return { seen, done };
  }

  it('pushes only the challenge id; the app shows the context and approves with the number (APPROVED seen by WatchChallenge)', async () => {
    const app = await enrolledApp('alice', 'token-alice');
    const challenge = await client.startChallenge({ user_id: 'alice', context: { application: 'Console', ip: '198.51.100.4', user_agent: 'Safari', action: 'login', location: 'Lyon, FR' } });
    const watcher = watch(challenge.id);

    const push = await fcm.waitFor((m) => m.token === 'token-alice', 10_000);
    expect(push.data).toEqual({ challenge_id: challenge.id });
    const { challengeId } = app.decodePushPayload(push.data);
    const details = await app.challenge(challengeId);
    expect(details).toMatchObject({ id: challenge.id, status: 'PENDING', numberMatching: true, context: { application: 'Console', ip: '198.51.100.4', userAgent: 'Safari', action: 'login', location: 'Lyon, FR' } });

    expect(await app.approve(challengeId, { bindingCode: challenge.binding_code })).toEqual({ status: 'APPROVED' });
    await watcher.done;
    expect(watcher.seen[0]).toBe('CHALLENGE_STATUS_PENDING');
    expect(watcher.seen[watcher.seen.length - 1]).toBe('CHALLENGE_STATUS_APPROVED');
    expect((await client.getChallenge({ challenge_id: challenge.id })).delivery).toBe('DELIVERY_STATUS_SENT');
  });

  it('denies (DENIED), and a wrong number uses an attempt', async () => {
    const app = await enrolledApp('bert', 'token-bert');
    const denied = await client.startChallenge({ user_id: 'bert' });
    const watcher = watch(denied.id);
    expect(await app.deny(denied.id)).toEqual({ status: 'DENIED' });
    await watcher.done;
    expect(watcher.seen[watcher.seen.length - 1]).toBe('CHALLENGE_STATUS_DENIED');

    const challenge = await client.startChallenge({ user_id: 'bert' });
    const wrong = challenge.binding_code === '42' ? '24' : '42';
    await expect(app.approve(challenge.id, { bindingCode: wrong })).rejects.toMatchObject({ status: 403, code: 'binding_mismatch' });
    expect((await client.getChallenge({ challenge_id: challenge.id })).attempts_remaining).toBe(4);
  });

  it('expires a challenge nobody answers, and then refuses the approval (409)', async () => {
    const app = await enrolledApp('cleo', 'token-cleo');
    await client.setPolicy({ otp_ttl_seconds: 2, number_matching: true });
    try {
      const challenge = await client.startChallenge({ user_id: 'cleo' });
      const watcher = watch(challenge.id);
      while (watcher.seen.length === 0) await new Promise((r) => setTimeout(r, 20));
      gateway.clock.advance(3_000); // the test's clock: the stream notices at the expiry instant
      await watcher.done;
      // The stream also reports delivery changes (QUEUED → SENT) while pending: compare statuses only.
      expect([...new Set(watcher.seen)]).toEqual(['CHALLENGE_STATUS_PENDING', 'CHALLENGE_STATUS_EXPIRED']);
      const error = await app.approve(challenge.id, { bindingCode: challenge.binding_code }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceApiError);
      expect((error as DeviceApiError).status).toBe(409);
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('fails the challenge whose push found the token dead, with the reason, and stops pushing: later challenges are found by polling', async () => {
    const app = await enrolledApp('dora', 'token-dora');
    fcm.markTokenDead('token-dora');
    const first = await client.startChallenge({ user_id: 'dora' });
    const deadline = Date.now() + 15_000;
    while ((await client.getChallenge({ challenge_id: first.id })).delivery !== 'DELIVERY_STATUS_FAILED' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await client.getChallenge({ challenge_id: first.id })).toMatchObject({ status: 'CHALLENGE_STATUS_FAILED', delivery: 'DELIVERY_STATUS_FAILED', reason: DEAD_PUSH_TOKEN_REASON });
    const sendsBefore = fcm.messages.filter((m) => m.token === 'token-dora').length;

    const second = await client.startChallenge({ user_id: 'dora' });
    expect(second.delivery).toBe('DELIVERY_STATUS_NOT_REQUIRED');
    const pending = await app.pendingChallenges();
    expect(pending.map((c) => c.id)).toEqual([second.id]);
    expect(await app.approve(second.id, { bindingCode: second.binding_code })).toEqual({ status: 'APPROVED' });
    expect(fcm.messages.filter((m) => m.token === 'token-dora').length).toBe(sendsBefore);
  });

  it('pushes to the token the app reports after FCM rotated it, and stops pushing once the app polls', async () => {
    const app = await enrolledApp('emil', 'token-emil-1');
    await app.updatePushToken('token-emil-2');
    const rotated = await client.startChallenge({ user_id: 'emil' });
    expect((await fcm.waitFor((m) => m.data?.challenge_id === rotated.id, 10_000)).token).toBe('token-emil-2');
    expect(fcm.messages.filter((m) => m.token === 'token-emil-1')).toHaveLength(0);

    await app.updatePushToken(null);
    const polled = await client.startChallenge({ user_id: 'emil' });
    expect(polled.delivery).toBe('DELIVERY_STATUS_NOT_REQUIRED');
    expect((await app.pendingChallenges()).map((c) => c.id)).toContain(polled.id);
    const audit = await client.listAuditEvents({ user_id: 'emil' });
    expect(audit.events.filter((e) => e.type === 'device_push_updated').map((e) => e.details)).toEqual([
      expect.objectContaining({ push: 'none' }),
      expect.objectContaining({ push: 'fcm' }),
    ]);
  });

  it('refuses a push update without a valid device signature or with a bad body, changing nothing', async () => {
    const app = await enrolledApp('finn', 'token-finn');
    const put = (headers: Record<string, string>, body: unknown) =>
      fetch(`${gateway.httpUrl}/device/v1/push`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect((await put({}, { push: { platform: 'fcm', token: 'token-evil' } })).status).toBe(401);
    expect((await put({ authorization: 'Bearer not-a-jwt' }, { push: { platform: 'fcm', token: 'token-evil' } })).status).toBe(401);
    await expect(app.updatePushToken('')).rejects.toMatchObject({ code: 'invalid_argument' });
    const challenge = await client.startChallenge({ user_id: 'finn' });
    expect((await fcm.waitFor((m) => m.data?.challenge_id === challenge.id, 10_000)).token).toBe('token-finn');
  });
});
