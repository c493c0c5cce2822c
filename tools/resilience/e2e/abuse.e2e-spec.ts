import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, randomInt, sign } from 'node:crypto';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { RECOVERY_CODE_ALPHABET } from '@mfa/domain';
import { totp } from '@mfa/testing';
import { TestDevice } from '../../../apps/gateway/e2e/test-device';
import { codeFromSms, eventually, inBatches, sleep, uniqueUsNumber } from '../../e2e/src/flows';
import { countBy, enrollSms } from './flows';
import { deadApps, startResilientStack, type ResilientStack } from './resilient-stack';

/** Abuse suite (issue 7), against the built apps as child processes. */

function grpcCode(error: unknown): string {
  return status[(error as ServiceError).code] ?? String((error as ServiceError).code);
}

async function gatewayAnswers(stack: ResilientStack, client: MfaClient): Promise<void> {
  await expect(client.getPolicy()).resolves.toBeDefined();
  expect(deadApps(stack)).toEqual([]);
}

async function metric(stack: ResilientStack, name: string): Promise<number> {
  const text = await (await fetch(`${stack.apps[0].httpUrl}/metrics`)).text();
  const sample = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  return [...text.matchAll(sample)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('brute force: 10,000 wrong codes against one user across TOTP, SMS and recovery codes from 50 concurrent callers', () => {
  const THRESHOLD = 25;
  const GUESSES = 10_000;
  const CALLERS = 50;
  let stack: ResilientStack;
  let client: MfaClient;

  beforeAll(async () => {
    stack = await startResilientStack({ gatewayEnv: { MFA_SEND_LIMIT_PER_DESTINATION: '50/600', MFA_SEND_LIMIT_PER_USER: '50/600' } });
    client = stack.client({ timeoutMs: 15_000 });
  });
  afterAll(() => stack?.stop());

  it('lockout holds exactly at lockout_threshold: exactly 25 guesses are evaluated (ok=false), every other one is RESOURCE_EXHAUSTED "locked"; recovery codes share the counter; the lock is taken once', async () => {
    // SetPolicy replaces the whole policy: keep number matching on, give each challenge more
    // attempts than the threshold so only the lockout can stop the guessing.
    await client.setPolicy({ lockout_threshold: THRESHOLD, lockout_seconds: 900, max_verify_attempts: 100, number_matching: true });
    const userId = 'brute-victim';
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_TOTP', label: 'victim' });
    const secret = enrollment.totp!.secret_base32;
    await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor!.id, code: totp(secret, Date.now()) });
    const sms = await enrollSms(stack, client, userId);
    const recoveryCodes = (await client.generateRecoveryCodes({ user_id: userId })).codes;

    const totpChallenges = await inBatches([1, 2, 3], 3, () => client.startChallenge({ user_id: userId, factor_id: enrollment.factor!.id }));
    const smsChallenges: { id: string; code: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const before = stack.twilio.messages.filter((m) => m.to === sms.number).length;
      const challenge = await client.startChallenge({ user_id: userId, factor_id: sms.factor.id });
      const message = await eventually('the SMS code', () => stack.twilio.messages.filter((m) => m.to === sms.number)[before]);
      smsChallenges.push({ id: challenge.id, code: codeFromSms(message) });
    }
    const issued = new Set(recoveryCodes.map((c) => c.replace(/-/g, '')));

    const wrongTotp = (): string => {
      const near = new Set([-3, -2, -1, 0, 1, 2, 3].map((k) => totp(secret, Date.now() + k * 30_000)));
      for (;;) {
        const code = String(randomInt(1_000_000)).padStart(6, '0');
        if (!near.has(code)) return code;
      }
    };
    const wrongSms = (right: string): string => {
      for (;;) {
        const code = String(randomInt(1_000_000)).padStart(6, '0');
        if (code !== right) return code;
      }
    };
    const wrongRecovery = (): string => {
      for (;;) {
        const raw = Array.from({ length: 16 }, () => RECOVERY_CODE_ALPHABET[randomInt(32)]).join('');
        if (!issued.has(raw)) return raw.match(/.{4}/g)!.join('-');
      }
    };

    type Kind = 'totp' | 'sms' | 'recovery';
    const results: { kind: Kind; outcome: string; reason?: string }[] = [];
    const callers = Array.from({ length: CALLERS }, () => stack.client({ timeoutMs: 15_000 }));
    const guesses = Array.from({ length: GUESSES }, (_, i) => i);
    const started = Date.now();
    await inBatches(guesses, CALLERS, async (i) => {
      const caller = callers[i % CALLERS];
      const kind: Kind = (['totp', 'sms', 'recovery'] as const)[i % 3];
      try {
        const answer =
          kind === 'totp'
            ? await caller.verifyChallenge({ challenge_id: totpChallenges[i % 3].id, code: wrongTotp() })
            : kind === 'sms'
              ? await caller.verifyChallenge({ challenge_id: smsChallenges[i % 3].id, code: wrongSms(smsChallenges[i % 3].code) })
              : await caller.redeemRecoveryCode({ user_id: userId, code: wrongRecovery() });
        results.push({ kind, outcome: answer.ok ? 'ok=true' : 'ok=false' });
      } catch (error) {
        results.push({ kind, outcome: grpcCode(error), reason: (error as ServiceError).metadata?.get('reason')[0]?.toString() });
      }
    });
    const elapsed = Date.now() - started;
    const outcomes = countBy(results, (r) => r.outcome);
    const evaluated = results.filter((r) => r.outcome === 'ok=false');
    console.log(
      `[abuse] brute force: ${GUESSES} wrong guesses from ${CALLERS} concurrent callers in ${elapsed} ms (${Math.round(GUESSES / (elapsed / 1000))}/s): ` +
        `${JSON.stringify(outcomes)}; evaluated by kind ${JSON.stringify(countBy(evaluated, (r) => r.kind))}`,
    );

    expect(outcomes['ok=true']).toBeUndefined();
    expect(evaluated).toHaveLength(THRESHOLD);
    expect(outcomes.RESOURCE_EXHAUSTED).toBe(GUESSES - THRESHOLD);
    expect(results.filter((r) => r.outcome === 'RESOURCE_EXHAUSTED' && r.reason !== 'locked')).toEqual([]);
    // Recovery codes share the counter: some of the 25 evaluated guesses were recovery codes.
    expect(evaluated.some((r) => r.kind === 'recovery')).toBe(true);

    // The attempts the challenges used add up with the recovery guesses to exactly the threshold.
    const challenges = await inBatches([...totpChallenges.map((c) => c.id), ...smsChallenges.map((c) => c.id)], 6, (id) => client.getChallenge({ challenge_id: id }));
    const attemptsUsed = challenges.reduce((sum, c) => sum + (100 - c.attempts_remaining), 0);
    expect(attemptsUsed + evaluated.filter((r) => r.kind === 'recovery').length).toBe(THRESHOLD);
    expect(challenges.every((c) => c.status === 'CHALLENGE_STATUS_PENDING')).toBe(true);
    const state = await stack.db.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM user_states WHERE user_id = $1', [userId]);
    expect(state.rows.map((r) => Number(r.consecutive_failures))).toEqual([THRESHOLD]);
    const locks = await stack.db.query<{ n: string }>("SELECT COUNT(*) AS n FROM audit_events WHERE user_id = $1 AND type = 'user_locked'", [userId]);
    expect(Number(locks.rows[0].n)).toBe(1);
    expect(await metric(stack, 'mfa_lockouts_total')).toBe(1);

    // Still locked, even with right answers.
    await expect(client.verifyChallenge({ challenge_id: totpChallenges[0].id, code: totp(secret, Date.now()) })).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    await expect(client.verifyChallenge({ challenge_id: smsChallenges[0].id, code: smsChallenges[0].code })).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    await expect(client.redeemRecoveryCode({ user_id: userId, code: recoveryCodes[0] })).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect((await client.getUserStatus({ user_id: userId })).locked_until).not.toBe('');
    callers.forEach((c) => c.close());
    await gatewayAnswers(stack, client);
  });
});

describe('SMS pumping: bursts to many numbers of one prefix (+1 415 555) from many users', () => {
  const PER_DESTINATION = 3;
  const PER_USER = 6;
  const PER_TENANT = 60;
  let stack: ResilientStack;
  let client: MfaClient;

  beforeAll(async () => {
    stack = await startResilientStack({
      gatewayEnv: {
        MFA_SEND_LIMIT_PER_DESTINATION: `${PER_DESTINATION}/600`,
        MFA_SEND_LIMIT_PER_USER: `${PER_USER}/600`,
        MFA_SEND_LIMIT_PER_TENANT: `${PER_TENANT}/600`,
      },
    });
    client = stack.client({ timeoutMs: 15_000 });
  });
  afterAll(() => stack?.stop());

  type Attempt = { userId: string; number: string; outcome: string; reason?: string; retryAfter?: number };
  const attempt = async (userId: string, number: string): Promise<Attempt> => {
    try {
      await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: number });
      return { userId, number, outcome: 'OK' };
    } catch (error) {
      const e = error as ServiceError;
      return { userId, number, outcome: grpcCode(e), reason: e.metadata?.get('reason')[0]?.toString(), retryAfter: Number(e.metadata?.get('retry-after')[0]) };
    }
  };

  it('limits hold per destination (3/600 s), per user (6/600 s) and per tenant (60/600 s); refused sends write no factor; the Twilio fake receives exactly the budget and nothing more', async () => {
    const requestsBefore = stack.tap.requests.length;
    // 1. Twenty users, one number: the destination's budget.
    const shared = uniqueUsNumber();
    const a = await inBatches(Array.from({ length: 20 }, (_, i) => `pump-dest-${i}`), 20, (u) => attempt(u, shared));
    // 2. One user, fifteen numbers: the user's budget.
    const b = await inBatches(Array.from({ length: 15 }, () => uniqueUsNumber()), 15, (n) => attempt('pump-user', n));
    // 3. 120 users, a number each, 50 at a time: the tenant's budget takes what is left.
    const c = await inBatches(Array.from({ length: 120 }, (_, i) => ({ u: `pump-tenant-${i}`, n: uniqueUsNumber() })), 50, ({ u, n }) => attempt(u, n));
    const all = [...a, ...b, ...c];
    const ok = (list: Attempt[]): Attempt[] => list.filter((x) => x.outcome === 'OK');

    console.log(`[abuse] SMS pumping: per destination ${JSON.stringify(countBy(a, (x) => x.outcome))}, per user ${JSON.stringify(countBy(b, (x) => x.outcome))}, per tenant ${JSON.stringify(countBy(c, (x) => x.outcome))}`);
    expect(ok(a)).toHaveLength(PER_DESTINATION);
    expect(ok(b)).toHaveLength(PER_USER);
    expect(ok(c)).toHaveLength(PER_TENANT - PER_DESTINATION - PER_USER);
    const refused = all.filter((x) => x.outcome !== 'OK');
    expect(refused.filter((x) => x.outcome !== 'RESOURCE_EXHAUSTED' || x.reason !== 'rate_limited' || !(x.retryAfter! > 0 && x.retryAfter! <= 600))).toEqual([]);
    // The budget is spent: one more user, one more number, refused.
    expect((await attempt('pump-late', uniqueUsNumber())).outcome).toBe('RESOURCE_EXHAUSTED');

    // Exactly the budget reaches the provider, once each.
    await eventually(() => `${PER_TENANT} messages at the fake (has ${stack.twilio.messages.length})`, () => (stack.twilio.messages.length >= PER_TENANT ? true : undefined), 30_000);
    await sleep(2_000);
    expect(stack.twilio.messages).toHaveLength(PER_TENANT);
    expect(stack.tap.requests.slice(requestsBefore)).toHaveLength(PER_TENANT);
    expect(stack.twilio.messages.filter((m) => m.to === shared)).toHaveLength(PER_DESTINATION);
    expect(new Set(stack.twilio.messages.map((m) => m.to)).size).toBe(PER_TENANT - PER_DESTINATION + 1);
    expect(stack.twilio.messages.every((m) => m.to.startsWith('+1415555'))).toBe(true);
    const rows = await stack.rowCounts();
    expect(rows.factors).toBe(PER_TENANT);
    expect(rows.challenges).toBe(PER_TENANT);
    await gatewayAnswers(stack, client);
  });
});

/** Protobuf wire encoding, by hand, so requests can be wrong in ways no typed client allows. */
const pb = {
  varint(n: number): Buffer {
    const bytes: number[] = [];
    do {
      let byte = n & 0x7f;
      n = Math.floor(n / 128);
      if (n > 0) byte |= 0x80;
      bytes.push(byte);
    } while (n > 0);
    return Buffer.from(bytes);
  },
  tag: (field: number, wireType: number): Buffer => pb.varint(field * 8 + wireType),
  bytes: (field: number, value: Buffer): Buffer => Buffer.concat([pb.tag(field, 2), pb.varint(value.length), value]),
  uint: (field: number, value: number): Buffer => Buffer.concat([pb.tag(field, 0), pb.varint(value)]),
};

describe('malformed gRPC and HTTP inputs: clear errors, no crash, nothing written', () => {
  let stack: ResilientStack;
  let client: MfaClient;
  let raw: Client;
  let device: TestDevice;
  let pushChallengeId: string;

  beforeAll(async () => {
    stack = await startResilientStack();
    client = stack.client({ timeoutMs: 15_000 });
    raw = new Client(stack.apps[0].grpcAddress!, credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
    const enrollment = await client.enrollFactor({ user_id: 'malformed-user', type: 'FACTOR_TYPE_TOTP' });
    await client.confirmEnrollment({ user_id: 'malformed-user', factor_id: enrollment.factor!.id, code: totp(enrollment.totp!.secret_base32, Date.now()) });
    const push = await client.enrollFactor({ user_id: 'device-user', type: 'FACTOR_TYPE_PUSH', label: 'phone' });
    device = new TestDevice(stack.apps[0].httpUrl);
    expect((await device.enroll(push.push!.enrollment_ticket)).status).toBe(201);
    pushChallengeId = (await client.startChallenge({ user_id: 'device-user', factor_id: device.factorId })).id;
  });
  afterAll(async () => {
    raw?.close();
    await stack?.stop();
  });

  function rawCall(method: string, body: Buffer, metadata = authMetadata()): Promise<{ code: number; details: string }> {
    return new Promise((resolve) => {
      raw.makeUnaryRequest(
        `/mfa.v1.MfaService/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        metadata,
        { deadline: Date.now() + 10_000 },
        (error) => resolve(error ? { code: error.code, details: error.details } : { code: status.OK, details: '' }),
      );
    });
  }
  function authMetadata(): Metadata {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${stack.apiKey}`);
    return metadata;
  }

  const FF = Buffer.from([0xff, 0xfe, 0x61, 0xc3, 0x28]);
  const TOTP = 1;
  const GRPC_CASES: { name: string; method: string; body: () => Buffer; expected: status[]; metadata?: () => Metadata }[] = [
    { name: 'EnrollFactor: user_id (a string) sent as a varint (wrong wire type)', method: 'EnrollFactor', body: () => Buffer.concat([pb.uint(1, 5), pb.uint(2, TOTP)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: type (an enum) sent length-delimited (wrong wire type)', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('wt-user')), pb.bytes(2, Buffer.from('abc'))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: truncated message (length 16, one byte follows)', method: 'EnrollFactor', body: () => Buffer.from([0x0a, 0x10, 0x61]), expected: [status.INVALID_ARGUMENT] },
    {
      name: 'EnrollFactor: a valid request whose last field (label) claims 16 bytes and carries 3 (truncated)',
      method: 'EnrollFactor',
      body: () => Buffer.concat([pb.bytes(1, Buffer.from('truncated-user')), pb.uint(2, TOTP), Buffer.from([0x32, 0x10, 0x61, 0x62, 0x63])]),
      expected: [status.INVALID_ARGUMENT],
    },
    { name: 'EnrollFactor: invalid wire type 7', method: 'EnrollFactor', body: () => Buffer.from([0x0f, 0x01]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: invalid UTF-8 in user_id', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, FF), pb.uint(2, TOTP)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: invalid UTF-8 in label', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('utf8-label')), pb.uint(2, TOTP), pb.bytes(6, FF)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: invalid UTF-8 in phone_number', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('utf8-phone')), pb.uint(2, 2), pb.bytes(3, Buffer.concat([Buffer.from('+1415555'), FF]))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'GenerateRecoveryCodes: invalid UTF-8 in user_id', method: 'GenerateRecoveryCodes', body: () => pb.bytes(1, Buffer.concat([Buffer.from('malformed-user'), FF])), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: a 2 MiB message (over the 1 MiB limit)', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.alloc(2 * 1024 * 1024, 0x61)), pb.uint(2, TOTP)]), expected: [status.RESOURCE_EXHAUSTED] },
    { name: 'EnrollFactor: a 512 KiB user_id', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.alloc(512 * 1024, 0x61)), pb.uint(2, TOTP)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: a 512 KiB label', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('big-label')), pb.uint(2, TOTP), pb.bytes(6, Buffer.alloc(512 * 1024, 0x61))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: a 64 KiB phone number', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('big-phone')), pb.uint(2, 2), pb.bytes(3, Buffer.concat([Buffer.from('+1'), Buffer.alloc(64 * 1024, 0x35)]))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: a 64 KiB e-mail address', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('big-mail')), pb.uint(2, 4), pb.bytes(4, Buffer.concat([Buffer.alloc(64 * 1024, 0x61), Buffer.from('@example.com')]))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'EnrollFactor: type 2^32-1', method: 'EnrollFactor', body: () => Buffer.concat([pb.bytes(1, Buffer.from('big-enum')), pb.uint(2, 2 ** 32 - 1)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'StartChallenge: a 100 KiB idempotency_key and context.user_agent', method: 'StartChallenge', body: () => Buffer.concat([pb.bytes(1, Buffer.from('malformed-user')), pb.bytes(3, pb.bytes(2, Buffer.alloc(100 * 1024, 0x61))), pb.bytes(4, Buffer.alloc(100 * 1024, 0x62))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'VerifyChallenge: a 512 KiB code', method: 'VerifyChallenge', body: () => Buffer.concat([pb.bytes(1, Buffer.from('chl_0000000000000000000000000')), pb.bytes(2, Buffer.alloc(512 * 1024, 0x31))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'RedeemRecoveryCode: a 512 KiB code', method: 'RedeemRecoveryCode', body: () => Buffer.concat([pb.bytes(1, Buffer.from('malformed-user')), pb.bytes(2, Buffer.alloc(512 * 1024, 0x41))]), expected: [status.INVALID_ARGUMENT] },
    { name: 'SetPolicy: 50,000 sms_allowed_countries', method: 'SetPolicy', body: () => Buffer.concat(Array.from({ length: 50_000 }, () => pb.bytes(7, Buffer.from('US')))), expected: [status.INVALID_ARGUMENT] },
    { name: 'SetPolicy: otp_ttl_seconds 2^32-1', method: 'SetPolicy', body: () => Buffer.concat([pb.uint(4, 2 ** 32 - 1), pb.uint(6, 1)]), expected: [status.INVALID_ARGUMENT] },
    { name: 'SetPolicy: a country with invalid UTF-8', method: 'SetPolicy', body: () => Buffer.concat([pb.bytes(7, Buffer.from([0xc3, 0x28])), pb.uint(6, 1)]), expected: [status.INVALID_ARGUMENT] },
    {
      name: 'ListFactors: 20 KiB of metadata (over the 16 KiB limit)',
      method: 'ListFactors',
      body: () => pb.bytes(1, Buffer.from('malformed-user')),
      metadata: () => {
        const m = authMetadata();
        m.set('x-junk', 'j'.repeat(20 * 1024));
        return m;
      },
      expected: [status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNAVAILABLE],
    },
    {
      name: 'ListFactors: 100 KiB of metadata (over the HTTP/2 header list limit)',
      method: 'ListFactors',
      body: () => pb.bytes(1, Buffer.from('malformed-user')),
      metadata: () => {
        const m = authMetadata();
        m.set('x-junk', 'j'.repeat(100 * 1024));
        return m;
      },
      expected: [status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNAVAILABLE],
    },
    {
      name: 'ListFactors: a 20 KiB authorization header',
      method: 'ListFactors',
      body: () => pb.bytes(1, Buffer.from('malformed-user')),
      metadata: () => {
        const m = new Metadata();
        m.set('authorization', `Bearer ${'k'.repeat(20 * 1024)}`);
        return m;
      },
      expected: [status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNAVAILABLE, status.UNAUTHENTICATED],
    },
    {
      name: 'ListFactors: an API key of 8 KiB (under the metadata limit)',
      method: 'ListFactors',
      body: () => pb.bytes(1, Buffer.from('malformed-user')),
      metadata: () => {
        const m = new Metadata();
        m.set('authorization', `Bearer ${'k'.repeat(8 * 1024)}`);
        return m;
      },
      expected: [status.UNAUTHENTICATED],
    },
  ];

  it.each(GRPC_CASES)('gRPC $name: refused with a clear status; the gateway still answers; no row written', async ({ method, body, expected, metadata }) => {
    const before = await stack.rowCounts();
    const answer = await rawCall(method, body(), metadata?.());
    console.log(`[abuse] gRPC ${method}: ${status[answer.code]} "${answer.details.slice(0, 160)}"`);
    expect(expected.map((s) => status[s])).toContain(status[answer.code]);
    expect(answer.details.length).toBeGreaterThan(0);
    expect(answer.details.length).toBeLessThan(500);
    await gatewayAnswers(stack, client);
    expect(await stack.rowCounts()).toEqual(before);
  });

  // Bad JWTs on the device API: every one is 401 with the JSON error shape.
  const header = (h: Record<string, unknown>): string => Buffer.from(JSON.stringify(h)).toString('base64url');
  const claims = (): Record<string, unknown> => {
    const iat = Math.floor(Date.now() / 1000);
    return { sub: device.deviceId, iat, exp: iat + 120, jti: randomBytes(16).toString('base64url') };
  };
  const JWT_CASES: { name: string; token: () => string }[] = [
    { name: 'garbage', token: () => 'garbage' },
    { name: 'three parts of random bytes', token: () => [16, 32, 64].map((n) => randomBytes(n).toString('base64url')).join('.') },
    { name: 'invalid UTF-8 in header and claims', token: () => `${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${Buffer.from([0xc3, 0x28]).toString('base64url')}.AAAA` },
    { name: 'alg none, empty signature', token: () => `${header({ alg: 'none', typ: 'JWT' })}.${header(claims())}.` },
    { name: 'alg none, any signature', token: () => `${header({ alg: 'none', typ: 'JWT' })}.${header(claims())}.${randomBytes(64).toString('base64url')}` },
    {
      name: 'HS256 with the device public key (JWK) as the HMAC secret',
      token: () => {
        const input = `${header({ alg: 'HS256', typ: 'JWT' })}.${header(claims())}`;
        return `${input}.${createHmac('sha256', JSON.stringify(device.publicJwk)).update(input).digest('base64url')}`;
      },
    },
    {
      name: 'HS256 with the device public key (PEM) as the HMAC secret',
      token: () => {
        const input = `${header({ alg: 'HS256', typ: 'JWT' })}.${header(claims())}`;
        const pem = createPublicKey({ key: device.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
      },
    },
    {
      name: 'ES256 header with a 64-byte HMAC-SHA512 of the public key PEM as signature',
      token: () => {
        const input = `${header({ alg: 'ES256', typ: 'JWT' })}.${header(claims())}`;
        const pem = createPublicKey({ key: device.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return `${input}.${createHmac('sha512', pem).update(input).digest('base64url')}`;
      },
    },
    {
      name: 'ES256 header, signed with a P-384 key (wrong curve)',
      token: () => TestDevice.jws(claims(), generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey),
    },
    {
      name: 'ES256 header, signed with a secp256k1 key (wrong curve, right signature size)',
      token: () => TestDevice.jws(claims(), generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey),
    },
    { name: 'ES256 signed by another P-256 key', token: () => TestDevice.jws(claims(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) },
    {
      name: 'ES256, DER-encoded signature instead of raw r||s',
      token: () => {
        const input = `${header({ alg: 'ES256', typ: 'JWT' })}.${header(claims())}`;
        return `${input}.${sign('sha256', Buffer.from(input), { key: device.privateKey, dsaEncoding: 'der' }).toString('base64url')}`;
      },
    },
    { name: 'expired', token: () => device.token({ iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 }) },
    { name: 'lifetime of one day', token: () => device.token({ exp: Math.floor(Date.now() / 1000) + 86_400 }) },
    { name: 'unknown device (sub)', token: () => device.token({ sub: 'dev_0000000000000000000000000' }) },
    { name: 'sub of a wrong type (object)', token: () => device.token({ sub: { $ne: null } }) },
    { name: 'iat and exp as strings', token: () => device.token({ iat: String(Math.floor(Date.now() / 1000)), exp: String(Math.floor(Date.now() / 1000) + 60) }) },
    { name: '5,000 characters', token: () => `${device.token()}${'A'.repeat(5_000)}` },
  ];

  it.each(JWT_CASES)('device API, bad JWT ($name): 401 with {error: {code, message}}; the gateway still answers; no row written', async ({ token }) => {
    const before = await stack.rowCounts();
    for (const [method, path, body] of [
      ['GET', '/device/v1/challenges?status=pending', undefined],
      ['GET', `/device/v1/challenges/${pushChallengeId}`, undefined],
      ['POST', `/device/v1/challenges/${pushChallengeId}/response`, { response: token() }],
    ] as const) {
      const answer = await device.request(method, path, { token: token(), body });
      expect({ path, status: answer.status }).toEqual({ path, status: 401 });
      expect(answer.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    await gatewayAnswers(stack, client);
    expect(await stack.rowCounts()).toEqual(before);
  });

  const HTTP_CASES: { name: string; path: string; method?: string; headers?: Record<string, string>; body?: Buffer | string; expected: number[] }[] = [
    { name: 'enroll: body that is not JSON', path: '/device/v1/enroll', body: '{"ticket": ', expected: [400] },
    { name: 'enroll: 1 MiB body', path: '/device/v1/enroll', body: JSON.stringify({ ticket: 'x'.repeat(1024 * 1024) }), expected: [400] },
    { name: 'enroll: invalid UTF-8 inside a JSON string', path: '/device/v1/enroll', body: Buffer.concat([Buffer.from('{"ticket":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('","public_key":{},"push":{"platform":"none"},"name":"x"}')]), expected: [400] },
    { name: 'enroll: wrong types (ticket a number, public_key a string, push an array)', path: '/device/v1/enroll', body: JSON.stringify({ ticket: 123, public_key: 'key', push: [], name: { a: 1 } }), expected: [400] },
    { name: 'enroll: a JSON array', path: '/device/v1/enroll', body: '[1,2,3]', expected: [400] },
    { name: 'enroll: JSON nested 5,000 deep', path: '/device/v1/enroll', body: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, expected: [400] },
    { name: 'enroll: a private JWK and an unknown ticket', path: '/device/v1/enroll', body: JSON.stringify({ ticket: 'nope', public_key: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', d: 'AAAA' }, push: { platform: 'none' }, name: 'x' }), expected: [400] },
    { name: 'enroll: __proto__ pollution attempt', path: '/device/v1/enroll', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"ticket":"t"}', expected: [400] },
    { name: 'enroll: wrong content type', path: '/device/v1/enroll', headers: { 'content-type': 'text/plain' }, body: 'ticket=abc', expected: [400, 415] },
    { name: 'a 20 KiB Authorization header', path: '/device/v1/challenges?status=pending', method: 'GET', headers: { authorization: `Bearer ${'a'.repeat(20 * 1024)}` }, expected: [401, 431, 400] },
    { name: 'a challenge id of 8 KiB', path: `/device/v1/challenges/${'c'.repeat(8 * 1024)}`, method: 'GET', expected: [400, 401, 404, 414] },
  ];

  it.each(HTTP_CASES)('device API, $name: a clear 4xx with {error: {code, message}}; the gateway still answers; no row written', async ({ path, method = 'POST', headers, body, expected }) => {
    const before = await stack.rowCounts();
    const response = await fetch(`${stack.apps[0].httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    console.log(`[abuse] HTTP ${path.slice(0, 40)}: ${response.status} ${text.slice(0, 120)}`);
    expect(expected).toContain(response.status);
    if (response.status !== 431) expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    await gatewayAnswers(stack, client);
    expect(await stack.rowCounts()).toEqual(before);
  });

  it('after all of it: the device, the TOTP user and the gateway work as before', async () => {
    const answer = await device.request('GET', '/device/v1/challenges?status=pending');
    expect(answer.status).toBe(200);
    expect((answer.body.challenges as { id: string }[]).map((c) => c.id)).toContain(pushChallengeId);
    expect((await client.listFactors({ user_id: 'malformed-user' })).factors).toHaveLength(1);
    await gatewayAnswers(stack, client);
    expect(stack.output()).not.toMatch(/FATAL|uncaught|unhandled/i);
  });
});
