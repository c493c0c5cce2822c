import { randomBytes } from 'node:crypto';
import type { MfaClient } from '@mfa/client';
import { startGateway, type RunningGateway } from './gateway-harness';
import { TestDevice } from './test-device';

/** Bytes 61 FF FE C3: "a", then three that are not UTF-8. */
const NOT_UTF8 = Buffer.from([0x61, 0xff, 0xfe, 0xc3]);
const errorBody = (code: string, message: unknown = expect.any(String)) => ({ error: { code, message } });

/** Answers of the device API to what no client should send: always API.md §2's status and `{error: {code, message}}`. */
describe.each(['sqlite', 'postgres'] as const)('device API errors (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(async () => {
    await gateway.close();
  });

  const newDevice = (): TestDevice => new TestDevice(gateway.httpUrl, () => gateway.clock.now());

  async function enrolledDevice(userId: string): Promise<TestDevice> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: userId });
    const device = newDevice();
    expect((await device.enroll(enrollment.push!.enrollment_ticket)).status).toBe(201);
    return device;
  }

  async function send(method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
    const response = await fetch(`${gateway.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...options.headers }, body: options.body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** A JSON text with `raw` spliced in, unescaped, where `"@@"` stands. */
  const jsonWithBytes = (value: Record<string, unknown>, raw: Buffer): Buffer => {
    const [before, after] = JSON.stringify(value).split('@@');
    return Buffer.concat([Buffer.from(before), raw, Buffer.from(after)]);
  };

  it('refuses an enrollment whose name is not UTF-8 (400 bad_request) and leaves the ticket usable', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'utf', type: 'FACTOR_TYPE_PUSH', label: 'utf' });
    const device = newDevice();
    const body = jsonWithBytes({ ticket: enrollment.push!.enrollment_ticket, public_key: device.publicJwk, push: { platform: 'none' }, name: '@@' }, NOT_UTF8);
    expect(await send('POST', '/device/v1/enroll', { body })).toMatchObject({ status: 400, body: errorBody('bad_request') });
    expect((await client.listFactors({ user_id: 'utf' })).factors[0].status).toBe('FACTOR_STATUS_PENDING');

    expect((await device.enroll(enrollment.push!.enrollment_ticket)).status).toBe(201);
    expect((await client.listFactors({ user_id: 'utf' })).factors[0]).toMatchObject({ status: 'FACTOR_STATUS_ACTIVE', display: 'Test phone' });
  });

  it('refuses an enrollment without a name (400 bad_request) and leaves the ticket usable', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'nameless', type: 'FACTOR_TYPE_PUSH', label: 'nameless' });
    const device = newDevice();
    const nameless = await device.request('POST', '/device/v1/enroll', { body: { ticket: enrollment.push!.enrollment_ticket, public_key: device.publicJwk, push: { platform: 'none' } }, token: null });
    expect(nameless).toEqual({ status: 400, body: errorBody('bad_request') });
    expect((await device.enroll(enrollment.push!.enrollment_ticket)).status).toBe(201);
  });

  it('refuses a body that is too large with 400 bad_request', async () => {
    const huge = JSON.stringify({ ticket: 'x'.repeat(64 * 1024) });
    expect(await send('POST', '/device/v1/enroll', { body: huge })).toMatchObject({ status: 400, body: errorBody('bad_request', 'body is too large') });
  });

  it('refuses a response body that is not UTF-8 with 400 bad_request, and the challenge stays pending', async () => {
    const device = await enrolledDevice('ivy');
    const challenge = await client.startChallenge({ user_id: 'ivy' });
    const iat = Math.floor(gateway.clock.now() / 1000);
    const signed = TestDevice.jws({ sub: device.deviceId, challenge_id: challenge.id, decision: 'approve', binding_code: challenge.binding_code, iat, exp: iat + 120 }, device.privateKey);
    const body = jsonWithBytes({ response: `${signed}@@` }, NOT_UTF8);
    const answer = await send('POST', `/device/v1/challenges/${challenge.id}/response`, { body, headers: { authorization: `Bearer ${device.token()}` } });
    expect(answer).toMatchObject({ status: 400, body: errorBody('bad_request') });
    expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 5 });
  });

  it('refuses an approve that reports fraud (400 bad_request), changing nothing', async () => {
    const device = await enrolledDevice('joe');
    const challenge = await client.startChallenge({ user_id: 'joe' });
    expect(await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code, fraud: true })).toEqual({ status: 400, body: errorBody('bad_request') });
    expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 5 });
    expect((await client.getUserStatus({ user_id: 'joe' })).locked_until).toBe('');
    expect((await client.listAuditEvents({ user_id: 'joe' })).events.map((e) => e.type)).not.toContain('fraud_reported');
    expect(await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).toEqual({ status: 200, body: { status: 'APPROVED' } });
  });

  it('refuses bearer tokens and responses with a crit header or a future nbf (401), changing nothing', async () => {
    const device = await enrolledDevice('kim');
    const challenge = await client.startChallenge({ user_id: 'kim' });
    const path = '/device/v1/challenges?status=pending';
    const now = Math.floor(gateway.clock.now() / 1000);
    const bearer = (header: Record<string, unknown>, claims: Record<string, unknown> = {}): string =>
      TestDevice.jws({ sub: device.deviceId, iat: now, exp: now + 120, jti: randomBytes(16).toString('base64url'), ...claims }, device.privateKey, { alg: 'ES256', typ: 'JWT', ...header });

    for (const crit of [['exp'], [], 'anything']) expect(await device.request('GET', path, { token: bearer({ crit }) })).toEqual({ status: 401, body: errorBody('unauthorized') });
    expect(await device.request('GET', path, { token: bearer({}, { nbf: now + 120 }) })).toEqual({ status: 401, body: errorBody('unauthorized') });
    expect((await device.request('GET', path, { token: bearer({}, { nbf: now + 30 }) })).status).toBe(200);

    const response = (header: Record<string, unknown>, claims: Record<string, unknown> = {}): string =>
      TestDevice.jws({ sub: device.deviceId, challenge_id: challenge.id, decision: 'approve', binding_code: challenge.binding_code, iat: now, exp: now + 120, ...claims }, device.privateKey, { alg: 'ES256', ...header });
    const answer = (signed: string) => device.request('POST', `/device/v1/challenges/${challenge.id}/response`, { body: { response: signed } });
    expect(await answer(response({ crit: ['binding_code'] }))).toEqual({ status: 401, body: errorBody('unauthorized') });
    expect(await answer(response({}, { nbf: now + 120 }))).toEqual({ status: 401, body: errorBody('unauthorized') });
    expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 5 });
  });

  it('answers unknown paths 404 not_found and known paths with another method 405 with Allow, in the error shape', async () => {
    const device = await enrolledDevice('lou');
    const challenge = await client.startChallenge({ user_id: 'lou' });
    const authorized = () => ({ authorization: `Bearer ${device.token()}` });

    for (const path of ['/device/v1/nope', '/device/v1', '/device/v1/challenges/x/y/z', '/device/v1/v2/enroll']) {
      expect(await send('GET', path, { headers: authorized() })).toMatchObject({ status: 404, body: errorBody('not_found') });
    }
    const cases: [string, string, string][] = [
      ['GET', '/device/v1/enroll', 'POST'],
      ['DELETE', '/device/v1/challenges', 'GET, HEAD'],
      ['POST', `/device/v1/challenges/${challenge.id}`, 'GET, HEAD'],
      ['PUT', `/device/v1/challenges/${challenge.id}/response`, 'POST'],
      ['GET', '/device/v1/push', 'PUT'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await send(method, path, { headers: authorized(), body: method === 'GET' ? undefined : '{}' });
      expect({ method, path, status: answer.status, allow: answer.headers.get('allow'), body: answer.body }).toEqual({ method, path, status: 405, allow, body: errorBody('method_not_allowed') });
    }
    // The routes themselves still answer.
    expect((await device.request('GET', `/device/v1/challenges/${challenge.id}`)).status).toBe(200);
    expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING' });
  });

  it('answers a path parameter that is not valid percent-encoding 400 bad_request', async () => {
    const device = await enrolledDevice('max');
    for (const [method, path] of [
      ['GET', '/device/v1/challenges/%ZZ'],
      ['POST', '/device/v1/challenges/%E0%A4%A/response'],
    ]) {
      expect(await send(method, path, { headers: { authorization: `Bearer ${device.token()}` }, body: method === 'POST' ? '{}' : undefined })).toMatchObject({ status: 400, body: errorBody('bad_request') });
    }
  });
});
