
import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import type { AuditEvent, Policy } from '@mfa/contracts';
import { currentCode, enrolledTotp, metricsText, newTenant, RFC3339, wrongCode, type EnrolledTotp } from './flows';
import { grpcHealthCheck, reflectionListServices } from './grpc-infra-clients';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

const DEFAULT_POLICY: Policy = {
  mfa_required: false,
  allowed_factor_types: [],
  otp_length: 6,
  otp_ttl_seconds: 300,
  max_verify_attempts: 5,
  number_matching: true,
  sms_allowed_countries: [],
  lockout_threshold: 10,
  lockout_seconds: 900,
};

describe.each(['sqlite', 'postgres'] as const)('policy, audit trail, health and metrics (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  /** Every audit event of the default tenant, newest first, in one page. */
  const allEvents = async (userId = ''): Promise<AuditEvent[]> => {
    const page = await client.listAuditEvents({ user_id: userId, page_size: 500 });
    expect(page.next_page_token).toBe('');
    return page.events;
  };

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    client = gateway.client();
    // The flow the audit and metrics tests look at: enroll, confirm, one wrong code, one right code.
    const { secret } = await enrolledTotp(gateway, client, 'audited');
    const challenge = await client.startChallenge({ user_id: 'audited' });
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, secret) })).ok).toBe(false);
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, secret) })).ok).toBe(true);
    await client.generateRecoveryCodes({ user_id: 'bystander' });
  });
  afterAll(() => gateway.close());

  describe('policy', () => {
    it('answers the documented defaults for a tenant that never set one', async () => {
      const { client: fresh } = await newTenant(gateway, 'policy-defaults');
      expect(await fresh.getPolicy()).toEqual(DEFAULT_POLICY);
    });

    it('turns numeric zeros into the defaults', async () => {
      const { client: tenant } = await newTenant(gateway, 'policy-zeros');
      await tenant.setPolicy({ otp_length: 8, otp_ttl_seconds: 60, max_verify_attempts: 2, lockout_threshold: 3, lockout_seconds: 60, sms_allowed_countries: ['de'] });
      const zeros = { ...DEFAULT_POLICY, otp_length: 0, otp_ttl_seconds: 0, max_verify_attempts: 0, lockout_threshold: 0, lockout_seconds: 0 };
      expect(await tenant.setPolicy(zeros)).toEqual(DEFAULT_POLICY);
      expect(await tenant.getPolicy()).toEqual(DEFAULT_POLICY);
    });

    it('replaces the whole policy: fields left out go back to their defaults', async () => {
      const { client: tenant } = await newTenant(gateway, 'policy-replace');
      const first = await tenant.setPolicy({ mfa_required: true, otp_ttl_seconds: 60, lockout_threshold: 3, sms_allowed_countries: ['us', 'DE'] });
      expect(first).toMatchObject({ mfa_required: true, otp_ttl_seconds: 60, lockout_threshold: 3, sms_allowed_countries: ['DE', 'US'] });
      expect(await tenant.setPolicy({ max_verify_attempts: 2, number_matching: true })).toEqual({ ...DEFAULT_POLICY, max_verify_attempts: 2 });
      expect(await tenant.getPolicy()).toEqual({ ...DEFAULT_POLICY, max_verify_attempts: 2 });
    });

    describe('applied to factors and challenges', () => {
      let tenant: MfaClient;
      let factor: EnrolledTotp;

      beforeAll(async () => {
        tenant = (await newTenant(gateway, 'policy-applied')).client;
        factor = await enrolledTotp(gateway, tenant, 'pat');
      });

      it('refuses TOTP enrollment and TOTP challenges with FAILED_PRECONDITION when only SMS is allowed', async () => {
        await tenant.setPolicy({ allowed_factor_types: ['FACTOR_TYPE_SMS'] });
        try {
          expect((await tenant.getPolicy()).allowed_factor_types).toEqual(['FACTOR_TYPE_SMS']);
          await grpcError(tenant.enrollFactor({ user_id: 'pat', type: 'FACTOR_TYPE_TOTP' }), status.FAILED_PRECONDITION);
          await grpcError(tenant.startChallenge({ user_id: 'pat', factor_id: factor.factorId }), status.FAILED_PRECONDITION);
          await grpcError(tenant.startChallenge({ user_id: 'pat' }), status.FAILED_PRECONDITION);
          expect((await tenant.listFactors({ user_id: 'pat' })).factors).toHaveLength(1);
        } finally {
          await tenant.setPolicy({});
        }
        expect((await tenant.startChallenge({ user_id: 'pat' })).status).toBe('CHALLENGE_STATUS_PENDING');
      });

      it('gives a new challenge the lifetime otp_ttl_seconds', async () => {
        await tenant.setPolicy({ otp_ttl_seconds: 60 });
        try {
          const challenge = await tenant.startChallenge({ user_id: 'pat' });
          expect(challenge.created_at).toMatch(RFC3339);
          expect(Date.parse(challenge.expires_at) - Date.parse(challenge.created_at)).toBe(60_000);
          gateway.clock.advance(61_000);
          await grpcError(tenant.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, factor.secret) }), status.FAILED_PRECONDITION);
          expect((await tenant.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_EXPIRED');
        } finally {
          await tenant.setPolicy({});
        }
      });

      it('fails a challenge after max_verify_attempts wrong codes', async () => {
        await tenant.setPolicy({ max_verify_attempts: 2 });
        try {
          const challenge = await tenant.startChallenge({ user_id: 'pat' });
          expect(challenge.attempts_remaining).toBe(2);
          const answers = [];
          for (let i = 0; i < 2; i++) answers.push(await tenant.verifyChallenge({ challenge_id: challenge.id, code: wrongCode(gateway, factor.secret) }));
          expect(answers.map((a) => [a.ok, a.attempts_remaining])).toEqual([
            [false, 1],
            [false, 0],
          ]);
          expect(answers[1].challenge!.status).toBe('CHALLENGE_STATUS_FAILED');
          await grpcError(tenant.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, factor.secret) }), status.FAILED_PRECONDITION);
        } finally {
          await tenant.setPolicy({});
        }
      });
    });
  });

  describe('audit trail', () => {
    it('records the flow for the user, newest first, with RFC 3339 times', async () => {
      const events = await allEvents('audited');
      expect(events.map((e) => e.type)).toEqual(['challenge_approved', 'verify_failed', 'challenge_started', 'factor_confirmed', 'factor_enrolled']);
      for (const event of events) {
        expect(event).toMatchObject({ user_id: 'audited' });
        expect(event.id).not.toBe('');
        expect(event.factor_id).not.toBe('');
        expect(event.at).toMatch(RFC3339);
      }
      const times = events.map((e) => Date.parse(e.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const [approved, failed, started] = events;
      expect(approved.challenge_id).toBe(started.challenge_id);
      expect(failed.challenge_id).toBe(started.challenge_id);
    });

    it('walks every event exactly once with page_size 2, ending with an empty next_page_token', async () => {
      const expected = (await allEvents()).map((e) => e.id);
      expect(expected.length).toBeGreaterThan(4);
      const walked: string[] = [];
      let pageToken = '';
      for (let pages = 0; pages <= expected.length; pages++) {
        const page = await client.listAuditEvents({ page_size: 2, page_token: pageToken });
        expect(page.events.length).toBeLessThanOrEqual(2);
        walked.push(...page.events.map((e) => e.id));
        pageToken = page.next_page_token;
        if (!pageToken) break;
      }
      expect(pageToken).toBe('');
      expect(walked).toEqual(expected);
    });

    it('serves a page_size above 500 at 500 rather than refusing it', async () => {
      const page = await client.listAuditEvents({ page_size: 100_000 });
      expect(page.events.map((e) => e.id)).toEqual((await allEvents()).map((e) => e.id).slice(0, 500));
    });

    it('lists the whole tenant when user_id is empty, and only that tenant', async () => {
      const users = new Set((await allEvents()).map((e) => e.user_id));
      expect(users).toEqual(new Set(['audited', 'bystander']));
      expect((await allEvents('bystander')).map((e) => e.type)).toEqual(['recovery_codes_generated']);
      // The policy tests ran in other tenants: none of their events (user 'pat', policy_updated) show here.
      expect((await allEvents()).some((e) => e.type === 'policy_updated')).toBe(false);
    });
  });

  describe('health, reflection and metrics', () => {
    it('answers /healthz and /readyz with 200', async () => {
      expect((await fetch(`${gateway.httpUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${gateway.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await ready.json()).toEqual(expect.any(Object));
    });

    it('answers grpc.health.v1.Health/Check with SERVING', async () => {
      expect(await grpcHealthCheck(gateway.grpcAddress)).toBe('SERVING');
      expect(await grpcHealthCheck(gateway.grpcAddress, 'mfa.v1.MfaService')).toBe('SERVING');
    });

    it.each(['v1', 'v1alpha'] as const)('lists mfa.v1.MfaService through server reflection %s', async (version) => {
      expect(await reflectionListServices(gateway.grpcAddress, version)).toContain('mfa.v1.MfaService');
    });

    it('exposes the contract metrics on /metrics after the flow', async () => {
      const metrics = await metricsText(gateway);
      const lines = metrics.split('\n');
      expect(lines.some((l) => l.startsWith('mfa_grpc_requests_total{') && l.includes('method="VerifyChallenge"') && l.includes('code="OK"'))).toBe(true);
      expect(metrics).toMatch(/^mfa_grpc_request_duration_seconds_bucket\{[^}]*method="VerifyChallenge"/m);
      expect(metrics).toMatch(/^mfa_challenges_total\{[^}]*type="TOTP"/m);
      // Exactly the labels API.md §7 names: nothing added to every series.
      expect(metrics).toMatch(/^mfa_lockouts_total \d+$/m);
      expect(metrics).toMatch(/^mfa_grpc_requests_total\{method="VerifyChallenge",code="OK"\} \d+$/m);
      expect(metrics).toMatch(/^mfa_verify_attempts_total\{[^}]*type="TOTP"/m);
      expect(metrics).toMatch(/^process_cpu_user_seconds_total/m);
    });
  });
});
