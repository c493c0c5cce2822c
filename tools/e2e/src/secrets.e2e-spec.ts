import { status } from '@grpc/grpc-js';
import { MfaClient } from '@mfa/client';
import { redisContents } from '@mfa/testing';
import { challengeWhere, codeFromCall, codeFromMail, codeFromSms, enrollSms, eventually, grpcError, nthSms, uniqueUsNumber } from './flows';
import { codeSecret, databaseContents, emailSecret, findLeaks, phoneSecret, tokenSecret, type Leak, type Secret } from './secret-scan';
import { startStack, type Stack } from './stack';

/**
 * Runs every kind of flow (success, wrong code, retry, permanent failure, limits, refusals) with
 * the apps logging at debug, then looks for what must never be written down: each delivered code,
 * each full phone number and e-mail address, API keys and other credentials.
 */
describe('secrets stay out of logs, Redis and the database', () => {
  let stack: Stack;
  let client: MfaClient;
  const phones: string[] = [];
  const emails: string[] = [];
  const challengeIds: string[] = [];
  const wrongApiKey = `mfa_e2e_not_a_key_${Date.now()}`;

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { MFA_SEND_LIMIT_PER_DESTINATION: '3/600' } });
    client = stack.client();
  });
  afterAll(() => stack?.stop());

  /** Everything that must not appear, from what the fakes received and what the test used. */
  function secrets(): Secret[] {
    const codes = [
      ...stack.twilio.messages.map(codeFromSms),
      ...stack.twilio.calls.map(codeFromCall),
      ...stack.smtp.mails.map(codeFromMail),
    ];
    return [
      ...[...new Set(codes)].map(codeSecret),
      ...phones.map(phoneSecret),
      ...emails.map(emailSecret),
      tokenSecret('API key', stack.apiKey),
      tokenSecret('API key (refused)', wrongApiKey),
      tokenSecret('admin token', stack.env.MFA_ADMIN_TOKEN),
      tokenSecret('Twilio auth token', stack.env.TWILIO_AUTH_TOKEN),
      tokenSecret('encryption key', stack.env.MFA_ENCRYPTION_KEYS.split(':')[1]),
    ];
  }

  const describeLeaks = (leaks: Leak[]): string[] => leaks.map((l) => `${l.kind} in ${l.where}: …${l.excerpt}…`);

  it('runs SMS, voice and e-mail flows with wrong codes, retries, a permanent failure, a limit hit and refusals', async () => {
    const sms = await enrollSms(stack, client, 'leak-sms', uniqueUsNumber());
    phones.push(sms.number);
    const login = await client.startChallenge({ user_id: 'leak-sms', factor_id: sms.factor.id });
    challengeIds.push(login.id);
    const code = codeFromSms(await nthSms(stack, sms.number, 1));
    expect((await client.verifyChallenge({ challenge_id: login.id, code: code === '000000' ? '111111' : '000000' })).ok).toBe(false);
    expect((await client.verifyChallenge({ challenge_id: login.id, code })).ok).toBe(true);
    await client.startChallenge({ user_id: 'leak-sms', factor_id: sms.factor.id }); // third send
    await grpcError(client.startChallenge({ user_id: 'leak-sms', factor_id: sms.factor.id }), status.RESOURCE_EXHAUSTED);
    await grpcError(client.enrollFactor({ user_id: 'leak-sms', type: 'FACTOR_TYPE_SMS', phone_number: sms.number }), status.ALREADY_EXISTS);

    const voiceNumber = uniqueUsNumber();
    phones.push(voiceNumber);
    const voice = await client.enrollFactor({ user_id: 'leak-voice', type: 'FACTOR_TYPE_VOICE', phone_number: voiceNumber, locale: 'de-DE' });
    challengeIds.push(voice.challenge_id);
    const call = await stack.twilio.waitForCall((c) => c.to === voiceNumber, 15_000);
    await client.confirmEnrollment({ user_id: 'leak-voice', factor_id: voice.factor!.id, code: codeFromCall(call) });

    const address = `Leak.Mail.${Date.now()}@Example.com`;
    emails.push(address);
    const mail = await client.enrollFactor({ user_id: 'leak-mail', type: 'FACTOR_TYPE_EMAIL', email: address, locale: 'en' });
    challengeIds.push(mail.challenge_id);
    const received = await stack.smtp.waitFor((m) => m.to.some((to) => to.toLowerCase() === address.toLowerCase()), 15_000);
    await client.confirmEnrollment({ user_id: 'leak-mail', factor_id: mail.factor!.id, code: codeFromMail(received) });

    const throttled = uniqueUsNumber();
    phones.push(throttled);
    stack.twilio.failNext(1, 'too_many_requests');
    const retried = await client.enrollFactor({ user_id: 'leak-429', type: 'FACTOR_TYPE_SMS', phone_number: throttled });
    challengeIds.push(retried.challenge_id);
    await challengeWhere(client, retried.challenge_id, (c) => c.delivery === 'DELIVERY_STATUS_SENT');

    const invalid = uniqueUsNumber();
    phones.push(invalid);
    stack.twilio.failNext(1, 'invalid_number'); // Twilio's message quotes the number
    const failed = await client.enrollFactor({ user_id: 'leak-21211', type: 'FACTOR_TYPE_SMS', phone_number: invalid });
    challengeIds.push(failed.challenge_id);
    await challengeWhere(client, failed.challenge_id, (c) => c.delivery === 'DELIVERY_STATUS_FAILED');

    const malformed = '+99912345678';
    phones.push(malformed);
    await grpcError(client.enrollFactor({ user_id: 'leak-bad', type: 'FACTOR_TYPE_SMS', phone_number: malformed }), status.INVALID_ARGUMENT);
    const badEmail = `leak.bad.${Date.now()}@@example.com`;
    emails.push(badEmail);
    await grpcError(client.enrollFactor({ user_id: 'leak-bad', type: 'FACTOR_TYPE_EMAIL', email: badEmail }), status.INVALID_ARGUMENT);

    const foreign = uniqueUsNumber();
    phones.push(foreign);
    await client.setPolicy({ sms_allowed_countries: ['DE'], number_matching: true });
    await grpcError(client.enrollFactor({ user_id: 'leak-us', type: 'FACTOR_TYPE_SMS', phone_number: foreign }), status.FAILED_PRECONDITION);
    await client.setPolicy({ number_matching: true });

    const stranger = new MfaClient({ address: stack.apps[0].grpcAddress!, apiKey: wrongApiKey, retries: 0 });
    await grpcError(stranger.listFactors({ user_id: 'leak-sms' }), status.UNAUTHENTICATED);
    stranger.close();
  });

  it('no delivered code, phone number, e-mail address, API key or credential in any process output', async () => {
    // The logs were captured and are detailed: each challenge shows up by id.
    await eventually('the workers to log the last delivery', () => (stack.output().includes(challengeIds[challengeIds.length - 1]) ? true : undefined), 5_000);
    const all = secrets();
    expect(all.filter((s) => s.kind === 'code').length).toBeGreaterThanOrEqual(6);
    // The patterns do find them where they belong: in what the fakes received.
    expect(findLeaks('the Twilio fake', JSON.stringify(stack.twilio.messages), all).map((l) => l.kind)).toEqual(expect.arrayContaining(['code', 'phone number']));
    const leaks = stack.apps.flatMap((app) => findLeaks(app.name, app.output.join(''), all));
    expect(describeLeaks(leaks)).toEqual([]);
  });

  it('no delivered code, phone number, e-mail address or API key in any Redis key of the prefix (job data, hashes, streams, strings)', async () => {
    const contents = await redisContents(stack.redis, stack.prefix);
    expect(contents.size).toBeGreaterThan(0);
    const all = secrets().filter((s) => s.kind !== 'encryption key');
    const leaks = [...contents].flatMap(([key, text]) => findLeaks(`redis ${key}`, text, all));
    expect(describeLeaks(leaks)).toEqual([]);
  });

  it('no plaintext code, phone number, e-mail address or API key in the database', async () => {
    const contents = await databaseContents(stack.env.DATABASE_URL);
    const all = secrets().filter((s) => s.kind !== 'encryption key');
    const leaks = [...contents].flatMap(([table, text]) => findLeaks(`table ${table}`, text, all));
    expect(describeLeaks(leaks)).toEqual([]);
  });
});
