
import { status } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import type { FactorTypeName } from '@mfa/contracts';
import { currentCode, databaseSnapshot, enrolledTotp, wrongCode, type EnrolledTotp } from './flows';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

interface Fixture {
  client: MfaClient;
  userId: string;
  factor: EnrolledTotp;
  challengeId: string;
}

interface BadRequest {
  name: string;
  expected: status;
  send(f: Fixture): Promise<unknown>;
  /** The code this request submits, which the error message must not echo. */
  code?: string;
}

const USER = 'bad-input-user';
const UNKNOWN_ID = 'chl_0000000000000000000000000';

/** Each row must be refused with its status and leave the database exactly as it was. */
const BAD_REQUESTS: BadRequest[] = [
  { name: 'EnrollFactor with an empty user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: '', type: 'FACTOR_TYPE_TOTP' }) },
  { name: 'EnrollFactor with a 256-character user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: 'u'.repeat(256), type: 'FACTOR_TYPE_TOTP' }) },
  { name: 'EnrollFactor with a control character in user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: 'bad\u0007user', type: 'FACTOR_TYPE_TOTP' }) },
  { name: 'EnrollFactor with unknown enum value 99', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: USER, type: 99 as unknown as FactorTypeName }) },
  { name: 'EnrollFactor with FACTOR_TYPE_UNSPECIFIED', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: USER, type: 'FACTOR_TYPE_UNSPECIFIED' }) },
  { name: 'EnrollFactor with a 256-character label', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: USER, type: 'FACTOR_TYPE_TOTP', label: 'l'.repeat(256) }) },
  { name: 'EnrollFactor with a bad locale', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.enrollFactor({ user_id: USER, type: 'FACTOR_TYPE_TOTP', locale: 'not a locale!' }) },
  { name: 'ListFactors with an empty user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.listFactors({ user_id: '' }) },
  { name: 'GetUserStatus with a 256-character user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.getUserStatus({ user_id: 'u'.repeat(256) }) },
  { name: 'GenerateRecoveryCodes with a control character in user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.generateRecoveryCodes({ user_id: 'line\nbreak' }) },
  { name: 'StartChallenge with an empty user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.startChallenge({ user_id: '' }) },
  { name: 'StartChallenge with a bad locale', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.startChallenge({ user_id: USER, locale: 'not a locale!' }) },
  { name: 'StartChallenge with an unknown factor id', expected: status.NOT_FOUND, send: ({ client }) => client.startChallenge({ user_id: USER, factor_id: 'fac_0000000000000000000000000' }) },
  { name: 'StartChallenge with a malformed factor id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.startChallenge({ user_id: USER, factor_id: '../etc' }) },
  { name: 'VerifyChallenge with a non-digit code', code: '12a456', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '12a456' }) },
  { name: 'VerifyChallenge with a 5-digit code', code: '12345', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '12345' }) },
  { name: 'VerifyChallenge with a 9-digit code', code: '123456789', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '123456789' }) },
  { name: 'VerifyChallenge with a 70-character code', code: '7'.repeat(70), expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '7'.repeat(70) }) },
  { name: 'VerifyChallenge with an empty code', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '' }) },
  { name: 'VerifyChallenge with a 7-digit code on a TOTP challenge', code: '1234567', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '1234567' }) },
  { name: 'VerifyChallenge with an 8-digit code on a TOTP challenge', code: '12345678', expected: status.INVALID_ARGUMENT, send: ({ client, challengeId }) => client.verifyChallenge({ challenge_id: challengeId, code: '12345678' }) },
  { name: 'VerifyChallenge with an unknown challenge id', expected: status.NOT_FOUND, send: ({ client }) => client.verifyChallenge({ challenge_id: UNKNOWN_ID, code: '123456' }) },
  { name: 'VerifyChallenge with a malformed challenge id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.verifyChallenge({ challenge_id: '../etc', code: '123456' }) },
  { name: 'GetChallenge with an unknown challenge id', expected: status.NOT_FOUND, send: ({ client }) => client.getChallenge({ challenge_id: UNKNOWN_ID }) },
  { name: 'GetChallenge with a malformed challenge id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.getChallenge({ challenge_id: '../etc' }) },
  { name: 'CancelChallenge with a malformed challenge id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.cancelChallenge({ challenge_id: '../etc' }) },
  { name: 'CancelChallenge with an empty challenge id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.cancelChallenge({ challenge_id: '' }) },
  { name: 'ConfirmEnrollment with a non-digit code', code: '12a456', expected: status.INVALID_ARGUMENT, send: ({ client, factor }) => client.confirmEnrollment({ user_id: USER, factor_id: factor.factorId, code: '12a456' }) },
  { name: 'ConfirmEnrollment with an unknown factor id', expected: status.NOT_FOUND, send: ({ client }) => client.confirmEnrollment({ user_id: USER, factor_id: 'fac_0000000000000000000000000', code: '123456' }) },
  { name: 'DeleteFactor with a malformed factor id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.deleteFactor({ user_id: USER, factor_id: '../etc' }) },
  { name: 'DeleteFactor with an unknown factor id', expected: status.NOT_FOUND, send: ({ client }) => client.deleteFactor({ user_id: USER, factor_id: 'fac_0000000000000000000000000' }) },
  { name: 'RedeemRecoveryCode with a malformed code', code: 'abc', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.redeemRecoveryCode({ user_id: USER, code: 'abc' }) },
  { name: 'SetPolicy with otp_length 9', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.setPolicy({ otp_length: 9 }) },
  { name: 'SetPolicy with otp_length 5', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.setPolicy({ otp_length: 5 }) },
  { name: "SetPolicy with sms_allowed_countries ['USA']", expected: status.INVALID_ARGUMENT, send: ({ client }) => client.setPolicy({ sms_allowed_countries: ['USA'] }) },
  { name: 'SetPolicy with an unknown allowed factor type', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.setPolicy({ allowed_factor_types: [99 as unknown as FactorTypeName] }) },
  { name: "SetPolicy with sms_allowed_countries ['XX'] (no such country)", expected: status.INVALID_ARGUMENT, send: ({ client }) => client.setPolicy({ sms_allowed_countries: ['XX'] }) },
  {
    name: "ListAuditEvents with another user's page_token",
    expected: status.INVALID_ARGUMENT,
    send: async ({ client }) => {
      const { next_page_token } = await client.listAuditEvents({ user_id: USER, page_size: 1 });
      if (!next_page_token) throw new Error('the fixture user has fewer than two audit events');
      return client.listAuditEvents({ user_id: 'someone-else', page_token: next_page_token });
    },
  },
  { name: 'ListAuditEvents with a garbage page_token', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.listAuditEvents({ page_token: 'not-a-token!' }) },
  { name: 'ListAuditEvents with a control character in user_id', expected: status.INVALID_ARGUMENT, send: ({ client }) => client.listAuditEvents({ user_id: 'a\u0000b' }) },
];

describe.each(['sqlite', 'postgres'] as const)('malformed requests (%s)', (driver) => {
  let gateway: RunningGateway;
  const fixture = {} as Fixture;

  beforeAll(async () => {
    gateway = await startGateway({ driver });
    fixture.client = gateway.client();
    fixture.userId = USER;
    fixture.factor = await enrolledTotp(gateway, fixture.client, USER);
    await fixture.client.generateRecoveryCodes({ user_id: USER });
    fixture.challengeId = (await fixture.client.startChallenge({ user_id: USER })).id;
  });
  afterAll(() => gateway.close());

  it.each(BAD_REQUESTS)('$name', async ({ send, expected, code }) => {
    const before = await databaseSnapshot(gateway);
    const error = await grpcError(send(fixture), expected);
    expect(await databaseSnapshot(gateway)).toEqual(before);
    if (code) expect(error.details).not.toContain(code);
  });

  it('uses no attempt and no lockout count for a code of the wrong shape on a TOTP challenge', async () => {
    const { client } = fixture;
    await client.setPolicy({ lockout_threshold: 1, lockout_seconds: 600 });
    try {
      const challenge = await client.startChallenge({ user_id: USER });
      for (const code of ['1234567', '12345678', '12a456', '12345']) {
        await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code }), status.INVALID_ARGUMENT);
      }
      expect(await client.getChallenge({ challenge_id: challenge.id })).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', attempts_remaining: 5 });
      expect((await client.getUserStatus({ user_id: USER })).locked_until).toBe('');
      expect((await client.verifyChallenge({ challenge_id: challenge.id, code: currentCode(gateway, fixture.factor.secret) })).ok).toBe(true);
    } finally {
      await client.setPolicy({});
    }
  });

  it('never echoes a submitted code in an error message, right or wrong', async () => {
    const { client } = fixture;
    const challenge = await client.startChallenge({ user_id: USER });
    const right = currentCode(gateway, fixture.factor.secret);
    const wrong = wrongCode(gateway, fixture.factor.secret);
    // On a finished challenge a well-formed code is refused with FAILED_PRECONDITION.
    await client.cancelChallenge({ challenge_id: challenge.id });
    for (const code of [right, wrong]) {
      const error = await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code }), status.FAILED_PRECONDITION);
      expect(error.details).not.toContain(code);
    }
    // A wrong confirmation code on an active factor.
    const error = await grpcError(client.confirmEnrollment({ user_id: USER, factor_id: fixture.factor.factorId, code: wrong }), status.FAILED_PRECONDITION);
    expect(error.details).not.toContain(wrong);
  });
});
