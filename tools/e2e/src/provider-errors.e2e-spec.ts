import type { MfaClient } from '@mfa/client';
import { challengeWhere, enrollSms, nthSms, sleep, smsTo } from './flows';
import { startStack, type Stack } from './stack';

/**
 * The telephony worker's error handling, seen from outside: the tap counts every request the
 * worker made (refused ones too), the fake only what it accepted.
 */
describe('Twilio errors through the real processes', () => {
  let stack: Stack;
  let client: MfaClient;

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client();
  });
  afterAll(() => stack?.stop());

  it('429 then success: retried after Retry-After and delivered exactly once; delivery SENT', async () => {
    const { factor, number } = await enrollSms(stack, client, 'throttled');
    const requestsBefore = stack.tap.to(number).length;
    stack.twilio.failNext(1, 'too_many_requests');

    const challenge = await client.startChallenge({ user_id: 'throttled', factor_id: factor.id });
    await nthSms(stack, number, 1);
    const sent = await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    expect(sent.status).toBe('CHALLENGE_STATUS_PENDING');
    await sleep(3_000); // room for a wrong second send

    expect(smsTo(stack, number)).toHaveLength(2); // the enrollment code and this one, once
    expect(stack.tap.to(number).slice(requestsBefore).map((r) => r.status)).toEqual([429, 201]);
  });

  it('21211 invalid number: delivery FAILED and challenge FAILED with a reason, no retry', async () => {
    const { factor, number } = await enrollSms(stack, client, 'invalid');
    const requestsBefore = stack.tap.to(number).length;
    stack.twilio.failNext(1, 'invalid_number');

    const challenge = await client.startChallenge({ user_id: 'invalid', factor_id: factor.id });
    const failed = await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_FAILED');
    expect(failed.status).toBe('CHALLENGE_STATUS_FAILED');
    expect(failed.reason).toMatch(/not a valid phone number/);
    expect(failed.reason).not.toContain(number.slice(2));
    await sleep(3_000); // a retry would come after about a second

    expect(stack.tap.to(number).slice(requestsBefore).map((r) => r.status)).toEqual([400]);
    expect(smsTo(stack, number)).toHaveLength(1); // the enrollment code only
  });

  it('a 500 outage is retried until Twilio is back, then delivered once', async () => {
    const { factor, number } = await enrollSms(stack, client, 'outage');
    const requestsBefore = stack.tap.to(number).length;
    stack.twilio.failFor(2_500, 'server_error');

    const challenge = await client.startChallenge({ user_id: 'outage', factor_id: factor.id });
    await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT', 30_000);
    await sleep(2_000);

    const statuses = stack.tap.to(number).slice(requestsBefore).map((r) => r.status);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, -1).every((s) => s === 500)).toBe(true);
    expect(statuses[statuses.length - 1]).toBe(201);
    expect(smsTo(stack, number)).toHaveLength(2);
  });
});
