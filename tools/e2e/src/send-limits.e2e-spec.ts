import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { enrollSms, grpcError, nthSms, sleep, smsTo, uniqueDeNumber, uniqueUsNumber } from './flows';
import { startStack, type Stack } from './stack';

/** Abuse limits and the country allowlist, with the gateway configured by its environment. */
describe('send limits and the SMS country allowlist over processes', () => {
  let stack: Stack;
  let client: MfaClient;

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { MFA_SEND_LIMIT_PER_DESTINATION: '2/600' } });
    client = stack.client();
  });
  afterAll(() => stack?.stop());

  it('MFA_SEND_LIMIT_PER_DESTINATION=2/600: the third send to a number is RESOURCE_EXHAUSTED with retry-after, and nothing reaches the fake', async () => {
    const { factor, number } = await enrollSms(stack, client, 'limited'); // send 1
    await client.startChallenge({ user_id: 'limited', factor_id: factor.id }); // send 2
    await nthSms(stack, number, 1);
    const requestsBefore = stack.tap.to(number).length;

    const refused = await grpcError(client.startChallenge({ user_id: 'limited', factor_id: factor.id }), status.RESOURCE_EXHAUSTED);
    const retryAfter = Number(refused.metadata.get('retry-after')[0]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.details).not.toContain(number.slice(2));

    // The limit is per destination: another user enrolling the same number is refused too.
    await grpcError(client.enrollFactor({ user_id: 'limited-2', type: 'FACTOR_TYPE_SMS', phone_number: number }), status.RESOURCE_EXHAUSTED);
    await sleep(1_500);
    expect(smsTo(stack, number)).toHaveLength(2);
    expect(stack.tap.to(number)).toHaveLength(requestsBefore);
  });

  it("sms_allowed_countries ['DE']: enrolling a US number (SMS or voice) is FAILED_PRECONDITION and nothing is sent; an existing US factor cannot be challenged; DE still works", async () => {
    const existing = await enrollSms(stack, client, 'us-before');
    await client.setPolicy({ sms_allowed_countries: ['DE'], number_matching: true });
    try {
      const us = uniqueUsNumber();
      await grpcError(client.enrollFactor({ user_id: 'us-user', type: 'FACTOR_TYPE_SMS', phone_number: us }), status.FAILED_PRECONDITION);
      await grpcError(client.enrollFactor({ user_id: 'us-user', type: 'FACTOR_TYPE_VOICE', phone_number: us }), status.FAILED_PRECONDITION);
      await grpcError(client.startChallenge({ user_id: 'us-before', factor_id: existing.factor.id }), status.FAILED_PRECONDITION);

      const de = uniqueDeNumber();
      await enrollSms(stack, client, 'de-user', de);
      await sleep(1_500);
      expect(stack.tap.to(us)).toHaveLength(0);
      expect(stack.twilio.calls.filter((c) => c.to === us)).toHaveLength(0);
      expect(smsTo(stack, existing.number)).toHaveLength(1); // its enrollment code only
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });
});
