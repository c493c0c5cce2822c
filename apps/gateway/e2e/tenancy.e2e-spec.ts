
import { Metadata, status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { TenantAdmin, TenantRepository } from '@mfa/persistence';
import { currentCode, enrolledTotp, newTenant, rawMfaCall, STEP_MS, type EnrolledTotp } from './flows';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

describe.each(['sqlite', 'postgres'] as const)('tenant isolation and API keys (%s)', (driver) => {
  let gateway: RunningGateway;
  /** Tenant A: the gateway's bootstrap tenant. */
  let clientA: MfaClient;
  let clientB: MfaClient;
  let tenantB: Awaited<ReturnType<typeof newTenant>>;
  let factorA: EnrolledTotp;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    clientA = gateway.client();
    tenantB = await newTenant(gateway, 'tenant-b');
    clientB = tenantB.client;
    factorA = await enrolledTotp(gateway, clientA, 'alice');
  });
  afterAll(() => gateway.close());

  it("shows tenant B no factors of tenant A's user", async () => {
    expect((await clientA.listFactors({ user_id: 'alice' })).factors).toHaveLength(1);
    expect((await clientB.listFactors({ user_id: 'alice' })).factors).toEqual([]);
    expect(await clientB.getUserStatus({ user_id: 'alice' })).toMatchObject({ enrolled: false, factors: [], recovery_codes_left: 0 });
  });

  it("answers NOT_FOUND to tenant B for tenant A's challenge (Get, Verify, Cancel) and leaves it untouched", async () => {
    const challenge = await clientA.startChallenge({ user_id: 'alice' });
    await grpcError(clientB.getChallenge({ challenge_id: challenge.id }), status.NOT_FOUND);
    await grpcError(clientB.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, factorA.secret) }), status.NOT_FOUND);
    await grpcError(clientB.cancelChallenge({ challenge_id: challenge.id }), status.NOT_FOUND);

    expect(await clientA.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 5 });
    expect((await clientA.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, factorA.secret) })).ok).toBe(true);
    gateway.clock.advance(STEP_MS);
  });

  it("answers NOT_FOUND to tenant B for tenant A's factor (ConfirmEnrollment, DeleteFactor, StartChallenge)", async () => {
    const pending = await clientA.enrollFactor({ user_id: 'alice', type: 'FACTOR_TYPE_TOTP' });
    const code = currentCode(gateway, pending.totp!.secret_base32);
    await grpcError(clientB.confirmEnrollment({ user_id: 'alice', factor_id: pending.factor.id, code }), status.NOT_FOUND);
    await grpcError(clientB.deleteFactor({ user_id: 'alice', factor_id: pending.factor.id }), status.NOT_FOUND);
    await grpcError(clientB.deleteFactor({ user_id: 'alice', factor_id: factorA.factorId }), status.NOT_FOUND);
    await grpcError(clientB.startChallenge({ user_id: 'alice', factor_id: factorA.factorId }), status.NOT_FOUND);

    const listed = (await clientA.listFactors({ user_id: 'alice' })).factors.map((f) => [f.id, f.status]);
    expect(listed).toEqual([
      [factorA.factorId, 'FACTOR_STATUS_ACTIVE'],
      [pending.factor.id, 'FACTOR_STATUS_PENDING'],
    ]);
    // Tenant B's attempt did not consume the code: tenant A can still confirm with it.
    expect((await clientA.confirmEnrollment({ user_id: 'alice', factor_id: pending.factor.id, code })).status).toBe('FACTOR_STATUS_ACTIVE');
    await clientA.deleteFactor({ user_id: 'alice', factor_id: pending.factor.id });
  });

  it("keeps each tenant's policy to itself", async () => {
    const before = await clientA.getPolicy();
    const changed = await clientB.setPolicy({ mfa_required: true, otp_ttl_seconds: 60, max_verify_attempts: 2, lockout_threshold: 1 });
    expect(changed).toMatchObject({ mfa_required: true, otp_ttl_seconds: 60, max_verify_attempts: 2, lockout_threshold: 1 });
    expect(await clientB.getPolicy()).toEqual(changed);
    expect(await clientA.getPolicy()).toEqual(before);
    expect((await clientA.startChallenge({ user_id: 'alice' })).attempts_remaining).toBe(before.max_verify_attempts);
    await clientB.setPolicy({});
  });

  it('treats the same user id under two tenants as two users', async () => {
    const inB = await enrolledTotp(gateway, clientB, 'alice');
    expect((await clientB.listFactors({ user_id: 'alice' })).factors.map((f) => f.id)).toEqual([inB.factorId]);
    expect((await clientA.listFactors({ user_id: 'alice' })).factors.map((f) => f.id)).toEqual([factorA.factorId]);

    // Recovery codes: each tenant's user has their own set.
    const codesA = (await clientA.generateRecoveryCodes({ user_id: 'alice' })).codes;
    expect((await clientB.getUserStatus({ user_id: 'alice' })).recovery_codes_left).toBe(0);
    await clientB.setPolicy({ lockout_threshold: 1, lockout_seconds: 600 });
    try {
      expect((await clientB.redeemRecoveryCode({ user_id: 'alice', code: codesA[0] })).ok).toBe(false);
      // That failure locked B's alice (threshold 1) and not A's.
      expect((await clientB.getUserStatus({ user_id: 'alice' })).locked_until).not.toBe('');
      await grpcError(clientB.startChallenge({ user_id: 'alice' }), status.RESOURCE_EXHAUSTED);
      expect((await clientA.getUserStatus({ user_id: 'alice' })).locked_until).toBe('');
      expect((await clientA.redeemRecoveryCode({ user_id: 'alice', code: codesA[0] })).ok).toBe(true);
    } finally {
      await clientB.setPolicy({});
    }
  });

  describe('authentication', () => {
    it('answers UNAUTHENTICATED without an authorization header', async () => {
      await grpcError(rawMfaCall(gateway.grpcAddress, 'GetPolicy', {}), status.UNAUTHENTICATED);
      await grpcError(rawMfaCall(gateway.grpcAddress, 'ListFactors', { user_id: 'alice' }), status.UNAUTHENTICATED);
    });

    it('answers UNAUTHENTICATED for a malformed header, an empty key or an unknown key', async () => {
      for (const header of ['Basic dXNlcjpwYXNz', gateway.apiKey, 'Bearer', 'Bearer ', `Bearer ${gateway.apiKey} extra`]) {
        const metadata = new Metadata();
        metadata.set('authorization', header);
        await grpcError(rawMfaCall(gateway.grpcAddress, 'GetPolicy', {}, metadata), status.UNAUTHENTICATED);
      }
      // MfaClient sends `Bearer <key>`: with '' that is "Bearer ", with 'wrong' "Bearer wrong".
      await grpcError(gateway.client('').getPolicy(), status.UNAUTHENTICATED);
      await grpcError(gateway.client('wrong').listFactors({ user_id: 'alice' }), status.UNAUTHENTICATED);
      await grpcError(gateway.client(`${gateway.apiKey}x`).getPolicy(), status.UNAUTHENTICATED);
    });

    it("answers UNAUTHENTICATED for a revoked key and keeps the tenant's other keys working", async () => {
      const second = await new TenantAdmin(gateway.database).issueApiKey(tenantB.tenantId);
      const secondClient = gateway.client(second.apiKey);
      expect((await secondClient.listFactors({ user_id: 'alice' })).factors).toHaveLength(1);

      expect(await new TenantRepository(gateway.database.manager).revokeApiKey(second.id, Date.now())).toBe(true);
      await grpcError(secondClient.listFactors({ user_id: 'alice' }), status.UNAUTHENTICATED);
      await grpcError(gateway.client(second.apiKey).getPolicy(), status.UNAUTHENTICATED);
      expect((await clientB.listFactors({ user_id: 'alice' })).factors).toHaveLength(1);
    });

    it('never lets an UNAUTHENTICATED call change anything', async () => {
      await grpcError(gateway.client('wrong').generateRecoveryCodes({ user_id: 'mallory' }), status.UNAUTHENTICATED);
      await grpcError(gateway.client('wrong').setPolicy({ lockout_threshold: 1 }), status.UNAUTHENTICATED);
      expect((await clientA.getUserStatus({ user_id: 'mallory' })).recovery_codes_left).toBe(0);
      expect((await clientA.getPolicy()).lockout_threshold).toBe(10);
    });
  });
});

describe('a bootstrap API key the operator chose short (sqlite)', () => {
  it('starts the gateway and authenticates calls with it, as API.md sets no length', async () => {
    const gateway = await startGateway({ driver: 'sqlite', env: { MFA_BOOTSTRAP_API_KEY: 'test-key' } });
    try {
      const client = gateway.client('test-key');
      expect(await client.getUserStatus({ user_id: 'alice' })).toMatchObject({ enrolled: false });
      await grpcError(gateway.client('test-kez').getUserStatus({ user_id: 'alice' }), status.UNAUTHENTICATED);
    } finally {
      await gateway.close();
    }
  });
});
