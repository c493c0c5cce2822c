import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { challengeWhere, codeFromCall, codeFromMail, codeFromSms, enrollSms, eventually, grpcError, nthSms, sleep, uniqueUsNumber } from './flows';
import { startStack, type Stack } from './stack';

/** Gateway, otp, telephony and email workers as separate processes, PostgreSQL, Redis, the fakes. */
describe('SMS, voice and e-mail codes through the real processes', () => {
  let stack: Stack;
  let client: MfaClient;

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client();
  });
  afterAll(() => stack?.stop());

  const wrong = (code: string): string => (code === '000000' ? '111111' : '000000');

  it('SMS: enroll → code at the fake → confirm → challenge (delivery QUEUED → SENT) → wrong codes count down → right code approves', async () => {
    const number = uniqueUsNumber();
    const enrollment = await client.enrollFactor({ user_id: 'sms-user', type: 'FACTOR_TYPE_SMS', phone_number: number, locale: 'en' });
    expect(enrollment.factor).toMatchObject({ type: 'FACTOR_TYPE_SMS', status: 'FACTOR_STATUS_PENDING' });
    expect(enrollment.factor!.display).not.toContain(number.slice(1));
    const ownership = await nthSms(stack, number, 0);
    expect(ownership.body).toMatch(/confirm this phone number/);
    await challengeWhere(client, enrollment.challenge_id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    const factor = await client.confirmEnrollment({ user_id: 'sms-user', factor_id: enrollment.factor!.id, code: codeFromSms(ownership) });
    expect(factor.status).toBe('FACTOR_STATUS_ACTIVE');

    const challenge = await client.startChallenge({ user_id: 'sms-user', factor_id: factor.id });
    expect(challenge).toMatchObject({ type: 'FACTOR_TYPE_SMS', status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_QUEUED', attempts_remaining: 5 });
    const code = codeFromSms(await nthSms(stack, number, 1));
    const sent = await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    expect(sent.status).toBe('CHALLENGE_STATUS_PENDING');

    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong(code) })).toMatchObject({ ok: false, attempts_remaining: 4 });
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong(code) })).toMatchObject({ ok: false, attempts_remaining: 3 });
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code });
    expect(verified.ok).toBe(true);
    expect(verified.challenge).toMatchObject({ status: 'CHALLENGE_STATUS_APPROVED', delivery: 'DELIVERY_STATUS_SENT' });
  });

  it('SMS: the last wrong attempt fails the challenge, and then even the right code is refused', async () => {
    const { factor, number } = await enrollSms(stack, client, 'sms-exhaust');
    const challenge = await client.startChallenge({ user_id: 'sms-exhaust', factor_id: factor.id });
    const code = codeFromSms(await nthSms(stack, number, 1));
    for (let left = 4; left >= 0; left--) {
      expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong(code) })).toMatchObject({ ok: false, attempts_remaining: left });
    }
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_FAILED');
    const late = await client.verifyChallenge({ challenge_id: challenge.id, code }).then(
      (r) => r.ok,
      (e: { code: number }) => e.code,
    );
    expect([false, status.FAILED_PRECONDITION]).toContain(late);
  });

  it('voice: the call reads the code digit by digit twice; confirm and a login code work', async () => {
    const number = uniqueUsNumber();
    const enrollment = await client.enrollFactor({ user_id: 'voice-user', type: 'FACTOR_TYPE_VOICE', phone_number: number, locale: 'de-DE' });
    const firstCall = await stack.twilio.waitForCall((c) => c.to === number, 15_000);
    expect(firstCall.twiml).toContain('language="de-DE"');
    const factor = await client.confirmEnrollment({ user_id: 'voice-user', factor_id: enrollment.factor!.id, code: codeFromCall(firstCall) });
    expect(factor.status).toBe('FACTOR_STATUS_ACTIVE');

    const challenge = await client.startChallenge({ user_id: 'voice-user', factor_id: factor.id });
    expect(challenge.delivery).toBe('DELIVERY_STATUS_QUEUED');
    const call = await eventually('the second call', () => stack.twilio.calls.filter((c) => c.to === number)[1]);
    const code = codeFromCall(call);
    await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong(code) })).toMatchObject({ ok: false, attempts_remaining: 4 });
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code })).toMatchObject({ ok: true });
  });

  it('e-mail: the code arrives by mail (text part); confirm and a login code work', async () => {
    const address = `mail-user-${Date.now()}@example.com`;
    const enrollment = await client.enrollFactor({ user_id: 'mail-user', type: 'FACTOR_TYPE_EMAIL', email: address, locale: 'en' });
    const firstMail = await stack.smtp.waitFor((m) => m.to.includes(address), 15_000);
    const factor = await client.confirmEnrollment({ user_id: 'mail-user', factor_id: enrollment.factor!.id, code: codeFromMail(firstMail) });
    expect(factor.status).toBe('FACTOR_STATUS_ACTIVE');

    const challenge = await client.startChallenge({ user_id: 'mail-user', factor_id: factor.id });
    expect(challenge.delivery).toBe('DELIVERY_STATUS_QUEUED');
    const mail = await eventually('the second mail', () => stack.smtp.mails.filter((m) => m.to.includes(address))[1]);
    const code = codeFromMail(mail);
    await challengeWhere(client, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: wrong(code) })).toMatchObject({ ok: false, attempts_remaining: 4 });
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code })).toMatchObject({ ok: true });
  });

  it('an expired challenge refuses its own delivered code (otp_ttl_seconds 3 by SetPolicy)', async () => {
    const { factor, number } = await enrollSms(stack, client, 'late-user');
    await client.setPolicy({ otp_ttl_seconds: 3, number_matching: true });
    try {
      const challenge = await client.startChallenge({ user_id: 'late-user', factor_id: factor.id });
      expect(Date.parse(challenge.expires_at) - Date.parse(challenge.created_at)).toBe(3_000);
      const code = codeFromSms(await nthSms(stack, number, 1));
      await sleep(Math.max(0, Date.parse(challenge.expires_at) - Date.now()) + 1_000);
      const outcome = await client.verifyChallenge({ challenge_id: challenge.id, code }).then(
        (r) => (r.ok ? 'approved' : 'refused'),
        (e: { code: number }) => (e.code === status.FAILED_PRECONDITION ? 'refused' : `error ${e.code}`),
      );
      expect(outcome).toBe('refused');
      expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_EXPIRED');
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('a wrong code of the wrong shape is INVALID_ARGUMENT and uses no attempt', async () => {
    const { factor } = await enrollSms(stack, client, 'shape-user');
    const challenge = await client.startChallenge({ user_id: 'shape-user', factor_id: factor.id });
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '12ab56' }), status.INVALID_ARGUMENT);
    expect((await client.getChallenge({ challenge_id: challenge.id })).attempts_remaining).toBe(5);
  });
});
