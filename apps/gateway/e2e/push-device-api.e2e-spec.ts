import { status } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import { createBullConnection, JobIds, parsePushJob, QueueName, sealedPushTokenAad } from '@mfa/queue';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';
import { watchChallenge } from './watch-stream';
import { TestDevice } from './test-device';
import { DEAD_PUSH_TOKEN_REASON } from '../src/events/apply-push-token-invalid.usecase';

describe.each(['sqlite', 'postgres'] as const)('push factors and the device API (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(async () => {
    await gateway.close();
    connection.disconnect();
  });

  async function enrolledDevice(userId: string, push: Record<string, unknown> = { platform: 'none' }): Promise<TestDevice> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: `${userId}@example.com` });
    const device = new TestDevice(gateway.httpUrl, () => gateway.clock.now());
    const result = await device.enroll(enrollment.push!.enrollment_ticket, push);
    expect(result.status).toBe(201);
    return device;
  }

  /** A raw request, to set or leave out headers TestDevice always sends and to read the answer's headers. */
  async function send(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
    const response = await fetch(`${gateway.httpUrl}${path}`, { method, headers: init.headers, body: init.body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
  const errorBody = (code: string, message: unknown = expect.any(String)) => ({ error: { code, message } });

  it('enrolls a device from the ticket in the enrollment URI; the ticket works once', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'pia', type: 'FACTOR_TYPE_PUSH', label: 'pia@example.com' });
    expect(enrollment.factor).toMatchObject({ type: 'FACTOR_TYPE_PUSH', status: 'FACTOR_STATUS_PENDING' });
    const push = enrollment.push!;
    const uri = new URL(push.enrollment_uri);
    expect(uri.protocol).toBe('mfa-push:');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ v: '1', ticket: push.enrollment_ticket, base_url: gateway.config.publicBaseUrl, issuer: 'MFA Gateway', label: 'pia@example.com' });
    expect(push.qr_png.subarray(1, 4).toString()).toBe('PNG');
    expect(Date.parse(push.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000);

    const device = new TestDevice(gateway.httpUrl, () => gateway.clock.now());
    expect((await device.enroll('not-a-ticket')).body).toEqual({ error: { code: 'invalid_ticket', message: expect.any(String) } });
    const enrolled = await device.enroll(push.enrollment_ticket);
    expect(enrolled).toEqual({ status: 201, body: { device_id: expect.any(String), factor_id: enrollment.factor.id } });
    expect((await new TestDevice(gateway.httpUrl, () => gateway.clock.now()).enroll(push.enrollment_ticket)).status).toBe(400);
    expect((await client.listFactors({ user_id: 'pia' })).factors[0]).toMatchObject({ status: 'FACTOR_STATUS_ACTIVE', display: 'Test phone' });
  });

  it('refuses an expired ticket and a malformed enrollment body', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'old', type: 'FACTOR_TYPE_PUSH' });
    gateway.clock.advance(11 * 60_000);
    expect((await new TestDevice(gateway.httpUrl, () => gateway.clock.now()).enroll(enrollment.push!.enrollment_ticket)).body).toMatchObject({ error: { code: 'invalid_ticket' } });
    const device = new TestDevice(gateway.httpUrl, () => gateway.clock.now());
    const withPrivate = await device.request('POST', '/device/v1/enroll', { body: { ticket: 'x', public_key: { ...device.publicJwk, d: 'AAAA' }, push: { platform: 'none' }, name: 'Test phone' }, token: null });
    expect(withPrivate.status).toBe(400);
    const notJson = await fetch(`${gateway.httpUrl}/device/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
  });

  it('reads a JSON body whatever its Content-Type: fetch sends a string as text/plain, curl -d as a form', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'tex', type: 'FACTOR_TYPE_PUSH', label: 'tex' });
    const device = new TestDevice(gateway.httpUrl, () => gateway.clock.now());
    const enrollBody = JSON.stringify({ ticket: enrollment.push!.enrollment_ticket, public_key: device.publicJwk, push: { platform: 'none' }, name: 'Plain phone' });
    // No headers: fetch labels a string body `text/plain;charset=UTF-8`.
    const enrolled = await send('POST', '/device/v1/enroll', { body: enrollBody });
    expect(enrolled).toMatchObject({ status: 201, body: { device_id: expect.any(String), factor_id: enrollment.factor.id } });
    device.deviceId = (enrolled.body as { device_id: string }).device_id;

    const challenge = await client.startChallenge({ user_id: 'tex' });
    const iat = Math.floor(gateway.clock.now() / 1000);
    const response = TestDevice.jws({ sub: device.deviceId, challenge_id: challenge.id, decision: 'approve', binding_code: challenge.binding_code, iat, exp: iat + 120 }, device.privateKey);
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${device.token()}` };
    expect(await send('POST', `/device/v1/challenges/${challenge.id}/response`, { body: JSON.stringify({ response }), headers: form })).toMatchObject({ status: 200, body: { status: 'APPROVED' } });

    // Still 400 for what is not a JSON object, whatever the label.
    expect(await send('POST', '/device/v1/enroll', { body: '[]' })).toMatchObject({ status: 400, body: errorBody('bad_request', 'body must be a JSON object') });
    expect(await send('POST', '/device/v1/enroll', { body: 'ticket=x&name=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).toMatchObject({ status: 400, body: errorBody('bad_request', 'body must be valid JSON') });
  });

  it('asks for a bearer token on every 401 (WWW-Authenticate), naming invalid_token where one was refused', async () => {
    const device = await enrolledDevice('wes');
    const challenge = await client.startChallenge({ user_id: 'wes' });
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const list = (headers: Record<string, string>) => send('GET', '/device/v1/challenges?status=pending', { headers });

    const missing = await list({});
    expect(missing).toMatchObject({ status: 401, body: errorBody('unauthorized') });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="device"');
    const forged = await list({ authorization: `Bearer ${device.token({}, stranger)}` });
    expect(forged).toMatchObject({ status: 401, body: errorBody('unauthorized') });
    expect(forged.headers.get('www-authenticate')).toBe('Bearer realm="device", error="invalid_token"');
    const garbage = await list({ authorization: 'Bearer not-a-jwt' });
    expect(garbage.headers.get('www-authenticate')).toBe('Bearer realm="device", error="invalid_token"');

    // A good token with a response signed by another key: the token was not what failed.
    const iat = Math.floor(gateway.clock.now() / 1000);
    const response = TestDevice.jws({ sub: device.deviceId, challenge_id: challenge.id, decision: 'approve', binding_code: challenge.binding_code, iat, exp: iat + 120 }, stranger);
    const refused = await send('POST', `/device/v1/challenges/${challenge.id}/response`, { body: JSON.stringify({ response }), headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token()}` } });
    expect(refused).toMatchObject({ status: 401, body: errorBody('unauthorized') });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="device"');
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_PENDING');
  });

  it('takes the status filter in any case, PENDING as the JSON spells it, and refuses other statuses', async () => {
    const device = await enrolledDevice('sue');
    const challenge = await client.startChallenge({ user_id: 'sue' });
    for (const status of ['pending', 'PENDING', 'Pending']) {
      const listed = await device.request('GET', `/device/v1/challenges?status=${status}`);
      expect({ status, listed }).toEqual({ status, listed: { status: 200, body: { challenges: [expect.objectContaining({ id: challenge.id, status: 'PENDING' })] } } });
    }
    for (const status of ['approved', 'APPROVED', 'pending,approved']) {
      expect(await device.request('GET', `/device/v1/challenges?status=${status}`)).toEqual({ status: 400, body: errorBody('bad_request', 'status must be "pending"') });
    }
    expect(await device.request('GET', '/device/v1/challenges?status=pending&status=PENDING')).toEqual({ status: 400, body: errorBody('bad_request', 'status must be "pending"') });
  });

  it('answers unknown paths and methods anywhere on the HTTP port in the error shape, leaving health, metrics and the dashboard as they were', async () => {
    for (const path of ['/nope', '/device', '/device/v2/enroll', '/device/v1/nope', '/admin', '/healthz/x']) {
      const answer = await send('GET', path);
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 404, body: errorBody('not_found') });
    }
    for (const [method, path, allow] of [
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/readyz', 'GET, HEAD'],
      ['PUT', '/metrics', 'GET, HEAD'],
      ['GET', '/device/v1/enroll', 'POST'],
    ]) {
      const answer = await send(method, path, { body: method === 'GET' ? undefined : '{}' });
      expect({ method, path, status: answer.status, allow: answer.headers.get('allow'), body: answer.body }).toEqual({ method, path, status: 405, allow, body: errorBody('method_not_allowed') });
    }

    expect(await send('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await send('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const metrics = await fetch(`${gateway.httpUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('mfa_queue_jobs');
    const locked = await fetch(`${gateway.httpUrl}/admin/queues`);
    expect(locked.status).toBe(401);
    expect(locked.headers.get('www-authenticate')).toMatch(/^Basic/);
    const admin = { authorization: 'Bearer test-admin-token' };
    const page = await fetch(`${gateway.httpUrl}/admin/queues`, { headers: admin });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect(await send('GET', '/admin/queues/api/nope', { headers: admin })).toMatchObject({ status: 404, body: errorBody('not_found') });
  });

  it('shows the login context to the device, never the binding code, and approves with the right number', async () => {
    const device = await enrolledDevice('ann');
    const challenge = await client.startChallenge({ user_id: 'ann', context: { application: 'Console', ip: '203.0.113.7', user_agent: 'Firefox', action: 'login', location: 'Berlin, DE' } });
    expect(challenge).toMatchObject({ type: 'FACTOR_TYPE_PUSH', status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
    expect(challenge.binding_code).toMatch(/^\d{2}$/);

    const watch = watchChallenge(client, challenge.id);
    await watch.first;

    const pending = await device.request('GET', '/device/v1/challenges?status=pending');
    expect(pending.status).toBe(200);
    expect(pending.body.challenges).toEqual([
      { id: challenge.id, status: 'PENDING', created_at: challenge.created_at, expires_at: challenge.expires_at, context: { application: 'Console', ip: '203.0.113.7', user_agent: 'Firefox', action: 'login', location: 'Berlin, DE' }, number_matching: true },
    ]);
    const detail = await device.request('GET', `/device/v1/challenges/${challenge.id}`);
    expect(JSON.stringify(detail.body)).not.toContain(`"${challenge.binding_code}"`);

    const approved = await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code });
    expect(approved).toEqual({ status: 200, body: { status: 'APPROVED' } });
    const seen = (await watch.ended).map((c) => c.status);
    expect(seen).toEqual(['CHALLENGE_STATUS_PENDING', 'CHALLENGE_STATUS_APPROVED']);
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: '' })).toMatchObject({ ok: true });
    // Reported once: a replayed VerifyChallenge completes no second login.
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '' }), status.FAILED_PRECONDITION);
    expect((await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).status).toBe(409);
  });

  it('reports a pending push as ok=false without using an attempt, and a denial as ok=false', async () => {
    const device = await enrolledDevice('pam');
    const challenge = await client.startChallenge({ user_id: 'pam' });
    // A push takes no code: one is malformed input (API.md: any other shape), and uses no attempt.
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '123456' }), status.INVALID_ARGUMENT);
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: '' })).toMatchObject({ ok: false, attempts_remaining: 5, challenge: { status: 'CHALLENGE_STATUS_PENDING' } });
    expect((await device.respond(challenge.id, 'deny')).body).toEqual({ status: 'DENIED' });
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: '' })).toMatchObject({ ok: false, challenge: { status: 'CHALLENGE_STATUS_DENIED' } });
  });

  it('refuses to report an approval while the user is locked by a fraud report on another push, and after', async () => {
    await client.setPolicy({ lockout_seconds: 60, number_matching: true });
    try {
      const device = await enrolledDevice('ivy');
      const approved = await client.startChallenge({ user_id: 'ivy' });
      expect((await device.respond(approved.id, 'approve', { binding_code: approved.binding_code })).body).toEqual({ status: 'APPROVED' });
      const fraud = await client.startChallenge({ user_id: 'ivy' });
      expect((await device.respond(fraud.id, 'deny', { fraud: true })).body).toEqual({ status: 'DENIED' });
      const locked = await grpcError(client.verifyChallenge({ challenge_id: approved.id, code: '' }), status.RESOURCE_EXHAUSTED);
      expect(locked.metadata.get('reason')).toEqual(['locked']);
      const retryAfter = Number(locked.metadata.get('retry-after')[0]);
      expect(retryAfter).toBeGreaterThan(0);
      // Nor once the lock has run out, while the challenge still lives: the fraud report voided the approval.
      expect(retryAfter).toBeLessThanOrEqual(60);
      gateway.clock.advance((retryAfter + 1) * 1000);
      await grpcError(client.verifyChallenge({ challenge_id: approved.id, code: '' }), status.FAILED_PRECONDITION);
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('counts a wrong number as a failed attempt (403 binding_mismatch)', async () => {
    const device = await enrolledDevice('ben');
    const challenge = await client.startChallenge({ user_id: 'ben' });
    const wrong = challenge.binding_code === '10' ? '11' : '10';
    expect(await device.respond(challenge.id, 'approve', { binding_code: wrong })).toEqual({ status: 403, body: { error: { code: 'binding_mismatch', message: expect.any(String) } } });
    expect((await client.getChallenge({ challenge_id: challenge.id })).attempts_remaining).toBe(4);
    expect((await device.respond(challenge.id, 'approve')).status).toBe(403);
    expect((await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).body).toEqual({ status: 'APPROVED' });
  });

  it('denies, and a fraud report locks the user at once with an audit event', async () => {
    const device = await enrolledDevice('cat');
    const denied = await client.startChallenge({ user_id: 'cat' });
    expect((await device.respond(denied.id, 'deny')).body).toEqual({ status: 'DENIED' });
    expect(await client.getChallenge({ challenge_id: denied.id })).toMatchObject({ status: 'CHALLENGE_STATUS_DENIED', reason: 'denied on the device' });

    const fraud = await client.startChallenge({ user_id: 'cat' });
    expect((await device.respond(fraud.id, 'deny', { fraud: true })).body).toEqual({ status: 'DENIED' });
    const locked = await grpcError(client.startChallenge({ user_id: 'cat' }), status.RESOURCE_EXHAUSTED);
    expect(Number(locked.metadata.get('retry-after')[0])).toBeGreaterThan(0);
    expect((await client.getUserStatus({ user_id: 'cat' })).locked_until).not.toBe('');
    const audit = await client.listAuditEvents({ user_id: 'cat' });
    expect(audit.events.map((e) => e.type)).toEqual(expect.arrayContaining(['fraud_reported', 'user_locked', 'challenge_denied']));
  });

  it('refuses to approve an expired challenge (409) and reports it EXPIRED', async () => {
    const device = await enrolledDevice('dan');
    const challenge = await client.startChallenge({ user_id: 'dan' });
    gateway.clock.advance(301_000);
    expect((await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).status).toBe(409);
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_EXPIRED');
  });

  it('refuses forged, foreign, replayed, expired and over-long tokens, changing nothing', async () => {
    const device = await enrolledDevice('eve');
    const other = await enrolledDevice('fay');
    const challenge = await client.startChallenge({ user_id: 'eve' });
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const path = '/device/v1/challenges?status=pending';
    expect((await device.request('GET', path, { token: null })).status).toBe(401);
    expect((await device.request('GET', path, { token: device.token({}, stranger) })).status).toBe(401);
    expect((await device.request('GET', path, { token: device.token({}, other.privateKey) })).status).toBe(401);
    const once = device.token();
    expect((await device.request('GET', path, { token: once })).status).toBe(200);
    expect((await device.request('GET', path, { token: once })).status).toBe(401);
    const past = Math.floor(gateway.clock.now() / 1000) - 600;
    expect((await device.request('GET', path, { token: device.token({ iat: past, exp: past + 60 }) })).status).toBe(401);
    const now = Math.floor(gateway.clock.now() / 1000);
    expect((await device.request('GET', path, { token: device.token({ iat: now, exp: now + 3600 }) })).status).toBe(401);
    expect((await device.request('GET', path, { token: device.token({}, device.privateKey).replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')) })).status).toBe(401);
    // Another device cannot see or answer this challenge; a response signed by another key fails.
    expect((await other.request('GET', `/device/v1/challenges/${challenge.id}`)).status).toBe(404);
    expect((await other.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).status).toBe(404);
    expect((await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code }, stranger)).status).toBe(401);
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_PENDING');
  });

  it('pushes to a device with an FCM token; a dead-token report fails that challenge with its reason, and later ones wait for the app to poll', async () => {
    const device = await enrolledDevice('gus', { platform: 'fcm', token: 'fcm-token-gus-123' });
    const pushed = await client.startChallenge({ user_id: 'gus' });
    expect(pushed.delivery).toBe('DELIVERY_STATUS_QUEUED');
    const pushQueue = new Queue(QueueName.Push, { connection, prefix: gateway.config.queuePrefix });
    const events = new Queue(QueueName.Events, { connection, prefix: gateway.config.queuePrefix });
    try {
      const job = await pushQueue.getJob(JobIds.push(pushed.id));
      const payload = parsePushJob(job!.data);
      expect(JSON.stringify(job!.data)).not.toContain('fcm-token-gus-123');
      expect(gateway.config.keyring.decryptText(payload.sealedToken, sealedPushTokenAad(pushed.id))).toBe('fcm-token-gus-123');

      await events.add('events', { v: 1, type: 'push.token_invalid', challengeId: pushed.id, factorId: device.factorId, provider: 'fcm' }, { jobId: JobIds.tokenInvalid(pushed.id) });
      const deadline = Date.now() + 10_000;
      while ((await client.getChallenge({ challenge_id: pushed.id })).delivery !== 'DELIVERY_STATUS_FAILED' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await client.getChallenge({ challenge_id: pushed.id })).toMatchObject({ status: 'CHALLENGE_STATUS_FAILED', delivery: 'DELIVERY_STATUS_FAILED', reason: DEAD_PUSH_TOKEN_REASON });
      const polled = await client.startChallenge({ user_id: 'gus' });
      expect(polled.delivery).toBe('DELIVERY_STATUS_NOT_REQUIRED');
      expect(await pushQueue.getJob(JobIds.push(polled.id))).toBeUndefined();
      const pending = await device.request('GET', '/device/v1/challenges?status=pending');
      expect((pending.body.challenges as { id: string }[]).map((c) => c.id)).toEqual([polled.id]);
    } finally {
      await pushQueue.close();
      await events.close();
    }
  });
});
