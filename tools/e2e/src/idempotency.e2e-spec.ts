import type { MfaClient } from '@mfa/client';
import { challengeWhere, enrollSms, nthSms, sleep, smsTo } from './flows';
import { startStack, type Stack } from './stack';

/** Two gateway replicas (separate processes) in front of one database and one Redis. */
describe('idempotency key over processes', () => {
  let stack: Stack;
  let replicaA: MfaClient;
  let replicaB: MfaClient;

  beforeAll(async () => {
    stack = await startStack({ gateways: 2 });
    replicaA = stack.client(0);
    replicaB = stack.client(1);
  });
  afterAll(() => stack?.stop());

  it('two StartChallenge calls with the same key, at once on two replicas → one challenge, one SMS at the fake', async () => {
    const { factor, number } = await enrollSms(stack, replicaA, 'idem-user');
    const request = { user_id: 'idem-user', factor_id: factor.id, idempotency_key: 'login-42' };
    const [first, second] = await Promise.all([replicaA.startChallenge(request), replicaB.startChallenge(request)]);
    expect(second.id).toBe(first.id);
    await nthSms(stack, number, 1);
    await challengeWhere(replicaB, first.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');

    const again = await replicaB.startChallenge(request);
    expect(again.id).toBe(first.id);
    expect(again.delivery).toBe('DELIVERY_STATUS_SENT');
    await sleep(2_000); // room for a wrong second send
    expect(smsTo(stack, number)).toHaveLength(2); // the enrollment code and this challenge's, once
  });

  it('another key starts another challenge and sends another SMS', async () => {
    const { factor, number } = await enrollSms(stack, replicaB, 'idem-other');
    const first = await replicaA.startChallenge({ user_id: 'idem-other', factor_id: factor.id, idempotency_key: 'a' });
    const second = await replicaB.startChallenge({ user_id: 'idem-other', factor_id: factor.id, idempotency_key: 'b' });
    expect(second.id).not.toBe(first.id);
    await nthSms(stack, number, 2);
  });
});
