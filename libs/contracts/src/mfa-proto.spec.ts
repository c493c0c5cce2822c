import { loadSync } from '@grpc/proto-loader';
import { MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from './proto-path';

/** The contract of API.md §1: a client generated from this proto relies on these names. */
describe('mfa.proto', () => {
  const definition = loadSync(MFA_PROTO_PATH, PROTO_LOADER_OPTIONS);
  const service = definition['mfa.v1.MfaService'] as Record<string, { requestStream: boolean; responseStream: boolean }>;

  it('declares every RPC of MfaService', () => {
    expect(Object.keys(service).sort()).toEqual(
      [
        'CancelChallenge',
        'ConfirmEnrollment',
        'DeleteFactor',
        'EnrollFactor',
        'GenerateRecoveryCodes',
        'GetChallenge',
        'GetPolicy',
        'GetUserStatus',
        'ListAuditEvents',
        'ListFactors',
        'RedeemRecoveryCode',
        'SetPolicy',
        'StartChallenge',
        'VerifyChallenge',
        'WatchChallenge',
      ].sort(),
    );
    expect(service.WatchChallenge.responseStream).toBe(true);
  });

  const fieldsOf = (name: string): string[] => {
    const type = definition[`mfa.v1.${name}`] as unknown as { type: { field: { name: string; number: number }[] } };
    return type.type.field.map((f) => `${f.number}:${f.name}`);
  };

  it.each([
    ['Factor', ['1:id', '2:user_id', '3:type', '4:status', '5:display', '6:created_at', '7:last_used_at', '8:enroll_url']],
    ['Challenge', ['1:id', '2:user_id', '3:factor_id', '4:type', '5:status', '6:delivery', '7:created_at', '8:expires_at', '9:attempts_remaining', '10:binding_code', '11:reason']],
    ['Policy', ['1:mfa_required', '2:allowed_factor_types', '3:otp_length', '4:otp_ttl_seconds', '5:max_verify_attempts', '6:number_matching', '7:sms_allowed_countries', '8:lockout_threshold', '9:lockout_seconds']],
    ['EnrollFactorRequest', ['1:user_id', '2:type', '3:phone_number', '4:email', '5:duo_username', '6:label', '7:locale']],
    ['StartChallengeRequest', ['1:user_id', '2:factor_id', '3:context', '4:idempotency_key', '5:locale']],
    ['UserStatus', ['1:user_id', '2:enrolled', '3:mfa_required', '4:factors', '5:locked_until', '6:recovery_codes_left']],
  ])('%s has the contract field numbers', (message, fields) => {
    expect(fieldsOf(message)).toEqual(fields);
  });
});
