
import { status, type ServiceError } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { Keyring } from '@mfa/crypto';
import { createTestDatabase } from '@mfa/testing';
import { counterValue, currentCode, enrolledTotp, metricsText, RFC3339, STEP_MS, UNISSUED_RECOVERY_CODE, wrongCode } from './flows';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

const THRESHOLD = 3;
const LOCKOUT_SECONDS = 60;

/** A lockout answer: RESOURCE_EXHAUSTED, reason "locked", `retry-after` in whole seconds within the lock. */
function expectLockedError(error: ServiceError, maxSeconds = LOCKOUT_SECONDS): number {
  const [retryAfter] = error.metadata.get('retry-after');
  expect(String(retryAfter)).toMatch(/^\d+$/);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  expect(error.metadata.get('reason')).toEqual(['locked']);
  return seconds;
}

describe.each(['sqlite', 'postgres'] as const)('per-user lockout (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
  });
  afterAll(() => gateway.close());

  // SetPolicy replaces the whole policy: every other field goes back to its default.
  beforeEach(() => client.setPolicy({ lockout_threshold: THRESHOLD, lockout_seconds: LOCKOUT_SECONDS }));

  it('locks after lockout_threshold wrong codes: StartChallenge, VerifyChallenge (even with the right code) and RedeemRecoveryCode answer RESOURCE_EXHAUSTED with retry-after', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-basic');
    const [recoveryCode] = (await client.generateRecoveryCodes({ user_id: 'lock-basic' })).codes;
    const challenge = await client.startChallenge({ user_id: 'lock-basic' });

    const answers = [];
    for (let i = 0; i < THRESHOLD; i++) answers.push(await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) }));
    // The guess that reaches the threshold is still a wrong code, not an error.
    expect(answers.map((a) => [a.ok, a.attempts_remaining])).toEqual([
      [false, 4],
      [false, 3],
      [false, 2],
    ]);

    expectLockedError(await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, secret) }), status.RESOURCE_EXHAUSTED));
    expectLockedError(await grpcError(client.startChallenge({ user_id: 'lock-basic' }), status.RESOURCE_EXHAUSTED));
    expectLockedError(await grpcError(client.redeemRecoveryCode({ user_id: 'lock-basic', code: recoveryCode }), status.RESOURCE_EXHAUSTED));

    const userStatus = await client.getUserStatus({ user_id: 'lock-basic' });
    expect(userStatus.locked_until).toMatch(RFC3339);
    const lockedForMs = Date.parse(userStatus.locked_until) - gateway.clock.now();
    expect(lockedForMs).toBeGreaterThan((LOCKOUT_SECONDS - 5) * 1000);
    expect(lockedForMs).toBeLessThanOrEqual(LOCKOUT_SECONDS * 1000);

    // The refused right code consumed nothing: the challenge is still pending with the same attempts.
    expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 2 });
    expect((await client.generateRecoveryCodes({ user_id: 'lock-basic' })).codes).toHaveLength(10);
  });

  it('counts retry-after down and lets the user verify again once lockout_seconds have passed', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-expiry');
    const challenge = await client.startChallenge({ user_id: 'lock-expiry' });
    for (let i = 0; i < THRESHOLD; i++) await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) });
    expect(expectLockedError(await grpcError(client.startChallenge({ user_id: 'lock-expiry' }), status.RESOURCE_EXHAUSTED))).toBe(LOCKOUT_SECONDS);

    gateway.clock.advance(45_000);
    expect(expectLockedError(await grpcError(client.startChallenge({ user_id: 'lock-expiry' }), status.RESOURCE_EXHAUSTED))).toBe(15);

    gateway.clock.advance(15_000 + STEP_MS);
    expect((await client.getUserStatus({ user_id: 'lock-expiry' })).locked_until).toBe('');
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, secret) });
    expect(verified.ok).toBe(true);
    const fresh = await client.startChallenge({ user_id: 'lock-expiry' });
    expect(fresh.status).toBe('CHALLENGE_STATUS_PENDING');
  });

  it('starts counting afresh after a lock has run out', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-again');
    const first = await client.startChallenge({ user_id: 'lock-again' });
    for (let i = 0; i < THRESHOLD; i++) await client.verifyChallenge({ challenge_id: first.id, code: wrongCode(gateway, secret) });
    gateway.clock.advance((LOCKOUT_SECONDS + 1) * 1000);

    const second = await client.startChallenge({ user_id: 'lock-again' });
    for (let i = 0; i < THRESHOLD - 1; i++) expect((await client.verifyChallenge({ challenge_id: second.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    expect((await client.getUserStatus({ user_id: 'lock-again' })).locked_until).toBe('');
    expect((await client.verifyChallenge({ challenge_id: second.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    await grpcError(client.startChallenge({ user_id: 'lock-again' }), status.RESOURCE_EXHAUSTED);
  });

  it('resets the failure counter on a success (2 wrong, 1 right, 2 wrong: not locked)', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-reset');
    const first = await client.startChallenge({ user_id: 'lock-reset' });
    for (let i = 0; i < 2; i++) expect((await client.verifyChallenge({ challenge_id: first.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    expect((await client.verifyChallenge({ challenge_id: first.id, code: currentCode(gateway, secret) })).ok).toBe(true);
    gateway.clock.advance(STEP_MS);

    const second = await client.startChallenge({ user_id: 'lock-reset' });
    for (let i = 0; i < 2; i++) expect((await client.verifyChallenge({ challenge_id: second.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    expect((await client.getUserStatus({ user_id: 'lock-reset' })).locked_until).toBe('');
    expect((await client.verifyChallenge({ challenge_id: second.id, code: currentCode(gateway, secret) })).ok).toBe(true);
  });

  it('counts recovery-code failures on the same counter (2 wrong TOTP codes + 1 wrong recovery code: locked)', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-shared');
    const [recoveryCode] = (await client.generateRecoveryCodes({ user_id: 'lock-shared' })).codes;
    const challenge = await client.startChallenge({ user_id: 'lock-shared' });
    for (let i = 0; i < 2; i++) await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) });
    expect((await client.redeemRecoveryCode({ user_id: 'lock-shared', code: UNISSUED_RECOVERY_CODE })).ok).toBe(false);

    expectLockedError(await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, secret) }), status.RESOURCE_EXHAUSTED));
    expectLockedError(await grpcError(client.redeemRecoveryCode({ user_id: 'lock-shared', code: recoveryCode }), status.RESOURCE_EXHAUSTED));
    expect((await client.getUserStatus({ user_id: 'lock-shared' })).locked_until).toMatch(RFC3339);
  });

  it('lets a redeemed recovery code reset the counter it shares with the factors', async () => {
    const { secret } = await enrolledTotp(gateway, client, 'lock-recovered');
    const [recoveryCode] = (await client.generateRecoveryCodes({ user_id: 'lock-recovered' })).codes;
    const challenge = await client.startChallenge({ user_id: 'lock-recovered' });
    for (let i = 0; i < 2; i++) await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) });
    expect((await client.redeemRecoveryCode({ user_id: 'lock-recovered', code: recoveryCode })).ok).toBe(true);
    for (let i = 0; i < 2; i++) expect((await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    expect((await client.getUserStatus({ user_id: 'lock-recovered' })).locked_until).toBe('');
  });

  it('lets exactly lockout_threshold of 20 concurrent wrong guesses through, the rest RESOURCE_EXHAUSTED', async () => {
    await client.setPolicy({ lockout_threshold: 5, lockout_seconds: LOCKOUT_SECONDS });
    const { secret } = await enrolledTotp(gateway, client, 'lock-race');
    const challenges: Challenge[] = [];
    for (let i = 0; i < 4; i++) challenges.push(await client.startChallenge({ user_id: 'lock-race' }));
    const code = wrongCode(gateway, secret);

    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.verifyChallenge({ challenge_id: challenges[i % 4].id, code })));
    const answered = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ ok: boolean }>).value.ok);
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => ((o as PromiseRejectedResult).reason as ServiceError).code);
    expect(answered).toEqual([false, false, false, false, false]);
    expect(refused).toEqual(Array(15).fill(status.RESOURCE_EXHAUSTED));

    const attemptsUsed = (await Promise.all(challenges.map((c) => client.getChallenge({ challenge_id: c.id })))).reduce((sum, c) => sum + (5 - c.attempts_remaining), 0);
    expect(attemptsUsed).toBe(5);
  });

  // Replicas share only the database and the keys: SQLite is a single-process driver, so this
  // case exists for PostgreSQL only (not defined, rather than skipped, on SQLite).
  const itWithReplicas = driver === 'postgres' ? it : (): void => undefined;
  itWithReplicas('lets no extra guess through when the concurrent guesses reach two gateway replicas', async () => {
    const database = await createTestDatabase(driver);
    const env = { MFA_ENCRYPTION_KEYS: Keyring.generateSpec('shared') };
    const replicas: RunningGateway[] = [];
    try {
      for (let i = 0; i < 2; i++) replicas.push(await startGateway({ driver, database, env }));
      const [first, second] = replicas;
      second.clock.set(first.clock.now());
      const clients = [first.client(), second.client(first.apiKey)];
      await clients[0].setPolicy({ lockout_threshold: 5, lockout_seconds: LOCKOUT_SECONDS });
      const { secret } = await enrolledTotp(first, clients[0], 'lock-replicas');
      const challenges: Challenge[] = [];
      for (let i = 0; i < 4; i++) challenges.push(await clients[0].startChallenge({ user_id: 'lock-replicas' }));
      const code = wrongCode(first, secret);

      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => clients[i % 2].verifyChallenge({ challenge_id: challenges[i % 4].id, code })));
      expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<{ ok: boolean }>).value.ok)).toEqual([false, false, false, false, false]);
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => ((o as PromiseRejectedResult).reason as ServiceError).code)).toEqual(Array(15).fill(status.RESOURCE_EXHAUSTED));
    } finally {
      for (const replica of replicas) await replica.close();
      await database.drop();
    }
  });

  it('counts lockouts in mfa_lockouts_total on /metrics', async () => {
    const before = counterValue(await metricsText(gateway), 'mfa_lockouts_total');
    // Recovery codes need no factor: three wrong ones lock the user.
    for (let i = 0; i < THRESHOLD; i++) expect((await client.redeemRecoveryCode({ user_id: 'lock-metrics', code: UNISSUED_RECOVERY_CODE })).ok).toBe(false);
    await grpcError(client.redeemRecoveryCode({ user_id: 'lock-metrics', code: UNISSUED_RECOVERY_CODE }), status.RESOURCE_EXHAUSTED);
    const metrics = await metricsText(gateway);
    expect(metrics).toMatch(/^mfa_lockouts_total(\{[^}]*\})? \d+/m);
    expect(counterValue(metrics, 'mfa_lockouts_total')).toBe(before + 1);
  });
});
