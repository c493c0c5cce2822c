import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { totp } from '@mfa/testing';
import { grpcError } from './grpc-expect';
import { ExpirySweeper } from '../src/services/expiry-sweeper.service';
import { startGateway, type RunningGateway } from './gateway-harness';

const STEP_MS = 30_000;

describe.each(['sqlite', 'postgres'] as const)('TOTP factors over gRPC (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(() => gateway.close());

  /** Enrolls and confirms a TOTP factor; returns its id and secret. */
  async function enrolledTotp(userId: string): Promise<{ factorId: string; secret: string }> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_TOTP', label: `${userId}@example.com` });
    const secret = enrollment.totp!.secret_base32;
    await client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: totp(secret, gateway.clock.now()) });
    gateway.clock.advance(STEP_MS);
    return { factorId: enrollment.factor.id, secret };
  }

  it('enrolls a TOTP factor with a Key Uri Format URI and a QR code, pending until confirmed', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'alice', type: 'FACTOR_TYPE_TOTP', label: 'alice@example.com' });
    // Factor.display never holds a full address, even one the caller chose as the label.
    expect(enrollment.factor).toMatchObject({ user_id: 'alice', type: 'FACTOR_TYPE_TOTP', status: 'FACTOR_STATUS_PENDING', last_used_at: '', display: 'a***@example.com' });
    expect(enrollment.totp).toMatchObject({ digits: 6, period: 30, algorithm: 'SHA1' });
    const secret = enrollment.totp!.secret_base32;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrollment.totp!.otpauth_uri).toBe(
      `otpauth://totp/MFA%20Gateway:alice%40example.com?secret=${secret}&issuer=MFA%20Gateway&algorithm=SHA1&digits=6&period=30`,
    );
    expect(enrollment.totp!.qr_png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const active = await client.confirmEnrollment({ user_id: 'alice', factor_id: enrollment.factor.id, code: totp(secret, gateway.clock.now()) });
    expect(active.status).toBe('FACTOR_STATUS_ACTIVE');
    const listed = await client.listFactors({ user_id: 'alice' });
    expect(listed.factors.map((f) => [f.id, f.status, f.display])).toEqual([[enrollment.factor.id, 'FACTOR_STATUS_ACTIVE', 'a***@example.com']]);
  });

  it('masks a phone number used as the user_id where it stands in for the label', async () => {
    const enrollment = await client.enrollFactor({ user_id: '+14155550199', type: 'FACTOR_TYPE_TOTP' });
    expect(enrollment.factor.display).toBe('+1 *** *** 0199');
    expect((await client.getUserStatus({ user_id: '+14155550199' })).factors[0].display).toBe('+1 *** *** 0199');
  });

  it('replaces an enrollment left unconfirmed for over 10 minutes, keeping newer ones, so abandoned attempts never reach the factor limit', async () => {
    const abandoned = await client.enrollFactor({ user_id: 'ann', type: 'FACTOR_TYPE_TOTP' });
    gateway.clock.advance(11 * 60_000);
    const recent = await client.enrollFactor({ user_id: 'ann', type: 'FACTOR_TYPE_TOTP' });
    const latest = await client.enrollFactor({ user_id: 'ann', type: 'FACTOR_TYPE_TOTP' });
    expect((await client.listFactors({ user_id: 'ann' })).factors.map((f) => f.id).sort()).toEqual([recent.factor.id, latest.factor.id].sort());
    await grpcError(client.confirmEnrollment({ user_id: 'ann', factor_id: abandoned.factor.id, code: totp(abandoned.totp!.secret_base32, gateway.clock.now()) }), status.NOT_FOUND);
    const audit = await client.listAuditEvents({ user_id: 'ann' });
    expect(audit.events.find((e) => e.type === 'factor_deleted')).toMatchObject({ factor_id: abandoned.factor.id, details: { type: 'TOTP', cause: 'abandoned_enrollment' } });

    for (let i = 0; i < 25; i++) {
      gateway.clock.advance(11 * 60_000);
      await client.enrollFactor({ user_id: 'ann', type: 'FACTOR_TYPE_TOTP' });
    }
    expect((await client.listFactors({ user_id: 'ann' })).factors).toHaveLength(1);
  });

  it('refuses a wrong confirmation code and keeps the factor pending', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'bob', type: 'FACTOR_TYPE_TOTP' });
    const wrong = totp(enrollment.totp!.secret_base32, gateway.clock.now() + 10 * STEP_MS);
    await grpcError(client.confirmEnrollment({ user_id: 'bob', factor_id: enrollment.factor.id, code: wrong }), status.INVALID_ARGUMENT);
    const listed = await client.listFactors({ user_id: 'bob' });
    expect(listed.factors[0].status).toBe('FACTOR_STATUS_PENDING');
  });

  it('verifies a challenge with the current code, then rejects the same code again (replay)', async () => {
    const { factorId, secret } = await enrolledTotp('carol');
    const challenge = await client.startChallenge({ user_id: 'carol', context: { ip: '203.0.113.9', application: 'Console', user_agent: 'test', action: 'login', location: 'Berlin' } });
    expect(challenge).toMatchObject({ factor_id: factorId, type: 'FACTOR_TYPE_TOTP', status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_NOT_REQUIRED', attempts_remaining: 5 });
    const code = totp(secret, gateway.clock.now());
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code });
    expect(verified.ok).toBe(true);
    expect(verified.challenge!.status).toBe('CHALLENGE_STATUS_APPROVED');

    const second = await client.startChallenge({ user_id: 'carol', factor_id: factorId });
    const replay = await client.verifyChallenge({ challenge_id: second.id, code });
    expect(replay).toMatchObject({ ok: false, attempts_remaining: 4 });
    expect(replay.challenge!.status).toBe('CHALLENGE_STATUS_PENDING');

    gateway.clock.advance(STEP_MS);
    const fresh = await client.verifyChallenge({ challenge_id: second.id, code: totp(secret, gateway.clock.now()) });
    expect(fresh.ok).toBe(true);
    const factor = (await client.listFactors({ user_id: 'carol' })).factors[0];
    expect(factor.last_used_at).not.toBe('');
  });

  it('accepts a code one step early or late, not two', async () => {
    const { secret } = await enrolledTotp('dave');
    const challenge = await client.startChallenge({ user_id: 'dave' });
    const twoAhead = totp(secret, gateway.clock.now() + 2 * STEP_MS);
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: twoAhead })).ok).toBe(false);
    const oneBehind = totp(secret, gateway.clock.now() - STEP_MS);
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: oneBehind })).ok).toBe(false); // the enrollment step was the one before: replay window
    const oneAhead = totp(secret, gateway.clock.now() + STEP_MS);
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: oneAhead })).ok).toBe(true);
  });

  // API.md refuses "a time step already accepted", not every step before it: a phone one step
  // ahead confirms the enrollment, and the login with the code of the server's step comes next.
  it('accepts a step of the window below the last accepted one once, and refuses it presented again', async () => {
    const enrollment = await client.enrollFactor({ user_id: 'dana', type: 'FACTOR_TYPE_TOTP' });
    const secret = enrollment.totp!.secret_base32;
    const now = gateway.clock.now();
    expect((await client.confirmEnrollment({ user_id: 'dana', factor_id: enrollment.factor.id, code: totp(secret, now + STEP_MS) })).status).toBe('FACTOR_STATUS_ACTIVE');
    const current = totp(secret, now);
    const first = await client.startChallenge({ user_id: 'dana' });
    expect(await client.verifyChallenge({ challenge_id: first.id, code: current })).toMatchObject({ ok: true });
    const second = await client.startChallenge({ user_id: 'dana' });
    expect(await client.verifyChallenge({ challenge_id: second.id, code: current })).toMatchObject({ ok: false, attempts_remaining: 4 });
    expect(await client.verifyChallenge({ challenge_id: second.id, code: totp(secret, now + STEP_MS) })).toMatchObject({ ok: false, attempts_remaining: 3 });
    expect(await client.verifyChallenge({ challenge_id: second.id, code: totp(secret, now - STEP_MS) })).toMatchObject({ ok: true });
  });

  it('keeps the window at ±1 step of the server clock after a code one step ahead was accepted', async () => {
    const { secret } = await enrolledTotp('dora');
    const first = await client.startChallenge({ user_id: 'dora' });
    expect((await client.verifyChallenge({ challenge_id: first.id, code: totp(secret, gateway.clock.now() + STEP_MS) })).ok).toBe(true);
    const second = await client.startChallenge({ user_id: 'dora' });
    expect((await client.verifyChallenge({ challenge_id: second.id, code: totp(secret, gateway.clock.now() + 2 * STEP_MS) })).ok).toBe(false);
  });

  it('fails the challenge after max_verify_attempts wrong codes', async () => {
    const { secret } = await enrolledTotp('erin');
    const challenge = await client.startChallenge({ user_id: 'erin' });
    const wrong = totp(secret, gateway.clock.now() + 5 * STEP_MS);
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) remaining.push((await client.verifyChallenge({ challenge_id: challenge.id, code: wrong })).attempts_remaining);
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const after = await client.getChallenge({ challenge_id: challenge.id });
    expect(after.status).toBe('CHALLENGE_STATUS_FAILED');
    expect(after.reason).not.toBe('');
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: totp(secret, gateway.clock.now()) }), status.FAILED_PRECONDITION);
  });

  it('returns the same challenge for the same idempotency key', async () => {
    await enrolledTotp('frank');
    const first = await client.startChallenge({ user_id: 'frank', idempotency_key: 'login-42' });
    const again = await client.startChallenge({ user_id: 'frank', idempotency_key: 'login-42' });
    const other = await client.startChallenge({ user_id: 'frank', idempotency_key: 'login-43' });
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
  });

  it('cancels a pending challenge and expires one past its lifetime', async () => {
    const { secret } = await enrolledTotp('gina');
    const canceled = await client.cancelChallenge({ challenge_id: (await client.startChallenge({ user_id: 'gina' })).id });
    expect(canceled.status).toBe('CHALLENGE_STATUS_CANCELED');
    await grpcError(client.cancelChallenge({ challenge_id: canceled.id }), status.FAILED_PRECONDITION);

    const expiring = await client.startChallenge({ user_id: 'gina' });
    expect(Date.parse(expiring.expires_at) - Date.parse(expiring.created_at)).toBe(300_000);
    gateway.clock.advance(301_000);
    await grpcError(client.verifyChallenge({ challenge_id: expiring.id, code: totp(secret, gateway.clock.now()) }), status.FAILED_PRECONDITION);
    expect((await client.getChallenge({ challenge_id: expiring.id })).status).toBe('CHALLENGE_STATUS_EXPIRED');
  });

  it('deletes a factor and cancels its pending challenges', async () => {
    const { factorId } = await enrolledTotp('hank');
    const pending = await client.startChallenge({ user_id: 'hank' });
    await client.deleteFactor({ user_id: 'hank', factor_id: factorId });
    expect((await client.listFactors({ user_id: 'hank' })).factors).toEqual([]);
    expect((await client.getChallenge({ challenge_id: pending.id })).status).toBe('CHALLENGE_STATUS_CANCELED');
    await grpcError(client.deleteFactor({ user_id: 'hank', factor_id: factorId }), status.NOT_FOUND);
  });

  it('reports the user status', async () => {
    expect(await client.getUserStatus({ user_id: 'nobody' })).toMatchObject({ user_id: 'nobody', enrolled: false, factors: [], locked_until: '', recovery_codes_left: 0 });
    await enrolledTotp('ivy');
    await client.generateRecoveryCodes({ user_id: 'ivy' });
    expect(await client.getUserStatus({ user_id: 'ivy' })).toMatchObject({ enrolled: true, mfa_required: false, recovery_codes_left: 10, locked_until: '' });
  });
});

describe('expiry sweeper', () => {
  it('writes EXPIRED for overdue challenges nobody reads, with an audit event', async () => {
    const gateway = await startGateway({ driver: 'sqlite' });
    try {
      const client = gateway.client();
      const enrollment = await client.enrollFactor({ user_id: 'sleepy', type: 'FACTOR_TYPE_TOTP' });
      await client.confirmEnrollment({ user_id: 'sleepy', factor_id: enrollment.factor.id, code: totp(enrollment.totp!.secret_base32, gateway.clock.now()) });
      const challenge = await client.startChallenge({ user_id: 'sleepy' });
      gateway.clock.advance(301_000);
      expect(await gateway.app.get(ExpirySweeper).sweep()).toBe(1);
      const [row] = (await gateway.database.dataSource.query(`SELECT status FROM challenges WHERE id = '${challenge.id}'`)) as { status: string }[];
      expect(row.status).toBe('EXPIRED');
      expect((await client.listAuditEvents({ user_id: 'sleepy' })).events[0].type).toBe('challenge_expired');
    } finally {
      await gateway.close();
    }
  });
});
