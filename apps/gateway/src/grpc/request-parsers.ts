import type * as pb from '@mfa/contracts';
import { assertLocale, assertOpaqueId, assertOptionalText, assertUserId, invalidArgument, isFactorType, usesPhoneNumber, type FactorType, type PolicyInput } from '@mfa/domain';
import { duoDestination, emailDestination, phoneDestination } from '../services/destination';
import type { ConfirmEnrollmentCommand } from '../usecases/confirm-enrollment.usecase';
import type { EnrollFactorCommand } from '../usecases/enroll-factor.usecase';
import type { StartChallengeCommand } from '../usecases/start-challenge.usecase';
import type { VerifyChallengeCommand } from '../usecases/verify-challenge.usecase';

/**
 * Turns proto requests into use-case commands. Everything malformed stops here, with
 * INVALID_ARGUMENT, before any database access.
 */
const ENUM_PREFIX = 'FACTOR_TYPE_';
const MAX_CODE_LENGTH = 64;

export function parseFactorType(value: pb.IncomingEnum<pb.FactorTypeName>, field = 'type'): FactorType {
  const name = typeof value === 'string' && value.startsWith(ENUM_PREFIX) ? value.slice(ENUM_PREFIX.length) : '';
  if (!isFactorType(name)) throw invalidArgument(field, `${field} must be one of FACTOR_TYPE_TOTP, _SMS, _VOICE, _EMAIL, _PUSH, _DUO`);
  return name;
}

export function toFactorTypeName(type: FactorType): pb.FactorTypeName {
  return `FACTOR_TYPE_${type}`;
}

export function parseUserId(value: string): string {
  assertUserId(value ?? '');
  return value;
}

export function parseId(field: string, value: string): string {
  assertOpaqueId(field, value ?? '');
  return value;
}

/** A code is digits (OTP) or a recovery code's letters; its exact shape is checked per factor. */
export function parseCode(value: string): string {
  if (!value) throw invalidArgument('code', 'code is required');
  if (value.length > MAX_CODE_LENGTH) throw invalidArgument('code', 'code is too long');
  return value;
}

export function parseOtpCode(value: string): string {
  const code = parseCode(value);
  if (!/^\d{6,8}$/.test(code)) throw invalidArgument('code', 'code must be 6 to 8 digits');
  return code;
}

export function parseEnrollFactor(request: pb.EnrollFactorRequest): EnrollFactorCommand {
  const userId = parseUserId(request.user_id);
  const type = parseFactorType(request.type);
  assertOptionalText('label', request.label ?? '', 255);
  assertLocale(request.locale ?? '');
  const command: EnrollFactorCommand = { userId, type, label: request.label ?? '', locale: request.locale ?? '' };
  if (usesPhoneNumber(type)) {
    if (!request.phone_number) throw invalidArgument('phone_number', `phone_number is required for ${type} factors`);
    command.destination = phoneDestination(request.phone_number);
  } else if (type === 'EMAIL') {
    if (!request.email) throw invalidArgument('email', 'email is required for EMAIL factors');
    command.destination = emailDestination(request.email);
  } else if (type === 'DUO') {
    if (!request.duo_username) throw invalidArgument('duo_username', 'duo_username is required for DUO factors');
    command.destination = duoDestination(request.duo_username);
  }
  return command;
}

/** The code may be empty only for factors confirmed elsewhere (DUO re-checks with Duo). */
export function parseConfirmEnrollment(request: pb.ConfirmEnrollmentRequest): ConfirmEnrollmentCommand {
  return { userId: parseUserId(request.user_id), factorId: parseId('factor_id', request.factor_id), code: request.code ? parseOtpCode(request.code) : '' };
}

const CONTEXT_LIMITS: Record<keyof pb.ChallengeContext, number> = { ip: 64, user_agent: 512, application: 255, action: 255, location: 255 };

export function parseStartChallenge(request: pb.StartChallengeRequest): StartChallengeCommand {
  const userId = parseUserId(request.user_id);
  const factorId = request.factor_id ? parseId('factor_id', request.factor_id) : '';
  const raw = request.context ?? { ip: '', user_agent: '', application: '', action: '', location: '' };
  for (const [field, max] of Object.entries(CONTEXT_LIMITS) as [keyof pb.ChallengeContext, number][]) {
    assertOptionalText(`context.${field}`, raw[field] ?? '', max);
  }
  assertOptionalText('idempotency_key', request.idempotency_key ?? '', 255);
  assertLocale(request.locale ?? '');
  return {
    userId,
    factorId,
    context: { ip: raw.ip ?? '', userAgent: raw.user_agent ?? '', application: raw.application ?? '', action: raw.action ?? '', location: raw.location ?? '' },
    idempotencyKey: request.idempotency_key ?? '',
    locale: request.locale ?? '',
  };
}

/** An empty code asks about a challenge answered elsewhere (PUSH on the device, Duo). */
export function parseVerifyChallenge(request: pb.VerifyChallengeRequest): VerifyChallengeCommand {
  return { challengeId: parseId('challenge_id', request.challenge_id), code: request.code ? parseOtpCode(request.code) : '' };
}

export function parsePolicy(request: pb.Policy): PolicyInput {
  return {
    mfaRequired: Boolean(request.mfa_required),
    allowedFactorTypes: (request.allowed_factor_types ?? []).map((t) => parseFactorType(t, 'allowed_factor_types')),
    otpLength: request.otp_length ?? 0,
    otpTtlSeconds: request.otp_ttl_seconds ?? 0,
    maxVerifyAttempts: request.max_verify_attempts ?? 0,
    numberMatching: Boolean(request.number_matching),
    smsAllowedCountries: request.sms_allowed_countries ?? [],
    lockoutThreshold: request.lockout_threshold ?? 0,
    lockoutSeconds: request.lockout_seconds ?? 0,
  };
}
