import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';
import { TestDevice } from './test-device';

/** Push bombing: prompts to one PUSH factor without an approval are limited; an approval starts over. */
describe.each(['sqlite', 'postgres'] as const)('prompt limit on PUSH factors (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;

  beforeAll(async () => {
    gateway = await startGateway({ driver, env: { MFA_PROMPT_LIMIT_PER_FACTOR: '3/600' } });
    client = gateway.client();
  });
  afterAll(() => gateway.close());

  async function enrolledDevice(userId: string): Promise<TestDevice> {
    const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH' });
    const device = new TestDevice(gateway.httpUrl, () => gateway.clock.now());
    expect((await device.enroll(enrollment.push!.enrollment_ticket)).status).toBe(201);
    return device;
  }

  it('refuses the prompt after three unanswered or denied ones with RESOURCE_EXHAUSTED and retry-after, creating nothing', async () => {
    const device = await enrolledDevice('bombed');
    const ignored = await client.startChallenge({ user_id: 'bombed' });
    for (let i = 0; i < 2; i++) {
      const denied = await client.startChallenge({ user_id: 'bombed' });
      expect((await device.respond(denied.id, 'deny')).body).toEqual({ status: 'DENIED' });
    }
    const limited = await grpcError(client.startChallenge({ user_id: 'bombed' }), status.RESOURCE_EXHAUSTED);
    expect(limited.metadata.get('reason')).toEqual(['rate_limited']);
    const retryAfter = Number(limited.metadata.get('retry-after')[0]);
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const pending = await device.request('GET', '/device/v1/challenges?status=pending');
    expect((pending.body.challenges as Array<{ id: string }>).map((c) => c.id)).toEqual([ignored.id]);

    // Approving the login the user did make starts the count over.
    expect((await device.respond(ignored.id, 'approve', { binding_code: ignored.binding_code })).body).toEqual({ status: 'APPROVED' });
    expect((await client.startChallenge({ user_id: 'bombed' })).status).toBe('CHALLENGE_STATUS_PENDING');
  });

  it('never limits a user who approves each prompt, however many there are', async () => {
    const device = await enrolledDevice('busy');
    for (let i = 0; i < 6; i++) {
      const challenge = await client.startChallenge({ user_id: 'busy' });
      expect((await device.respond(challenge.id, 'approve', { binding_code: challenge.binding_code })).body).toEqual({ status: 'APPROVED' });
    }
  });

  it('limits each factor on its own: a second device of the same user still gets prompts', async () => {
    const first = await client.enrollFactor({ user_id: 'two-phones', type: 'FACTOR_TYPE_PUSH' });
    expect((await new TestDevice(gateway.httpUrl, () => gateway.clock.now()).enroll(first.push!.enrollment_ticket)).status).toBe(201);
    const second = await client.enrollFactor({ user_id: 'two-phones', type: 'FACTOR_TYPE_PUSH' });
    expect((await new TestDevice(gateway.httpUrl, () => gateway.clock.now()).enroll(second.push!.enrollment_ticket)).status).toBe(201);
    for (let i = 0; i < 3; i++) await client.startChallenge({ user_id: 'two-phones', factor_id: first.factor.id });
    await grpcError(client.startChallenge({ user_id: 'two-phones', factor_id: first.factor.id }), status.RESOURCE_EXHAUSTED);
    expect((await client.startChallenge({ user_id: 'two-phones', factor_id: second.factor.id })).factor_id).toBe(second.factor.id);
    await grpcError(client.startChallenge({ user_id: 'two-phones', factor_id: first.factor.id }), status.RESOURCE_EXHAUSTED);
  });

  it('does not count a StartChallenge repeated with its idempotency key', async () => {
    await enrolledDevice('retrying');
    for (let i = 0; i < 5; i++) await client.startChallenge({ user_id: 'retrying', idempotency_key: 'login-1' });
    expect((await client.startChallenge({ user_id: 'retrying', idempotency_key: 'login-2' })).status).toBe('CHALLENGE_STATUS_PENDING');
  });
});
