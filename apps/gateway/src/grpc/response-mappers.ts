import type * as pb from '@mfa/contracts';
import type { Policy } from '@mfa/domain';
import type { EnrollFactorResult } from '../usecases/enroll-factor.usecase';
import type { UserStatusView } from '../usecases/get-user-status.usecase';
import type { AuditPage } from '../usecases/list-audit-events.usecase';
import type { VerifyResult } from '../usecases/verify-challenge.usecase';
import type { ChallengeView, FactorView } from '../services/views';
import { toFactorTypeName } from './request-parsers';

/** RFC 3339 in UTC, or empty for "never". */
export const rfc3339 = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

export const toFactor = (f: FactorView): pb.Factor => ({
  id: f.id,
  user_id: f.userId,
  type: toFactorTypeName(f.type),
  status: `FACTOR_STATUS_${f.status}`,
  display: f.display,
  created_at: rfc3339(f.createdAt),
  last_used_at: rfc3339(f.lastUsedAt),
  enroll_url: f.enrollUrl ?? '',
});

export const toChallenge = (c: ChallengeView): pb.Challenge => ({
  id: c.id,
  user_id: c.userId,
  factor_id: c.factorId,
  type: toFactorTypeName(c.type),
  status: `CHALLENGE_STATUS_${c.status}`,
  delivery: `DELIVERY_STATUS_${c.delivery}`,
  created_at: rfc3339(c.createdAt),
  expires_at: rfc3339(c.expiresAt),
  attempts_remaining: c.attemptsRemaining,
  binding_code: c.bindingCode,
  reason: c.reason,
});

export const toEnrollFactorResponse = (r: EnrollFactorResult): pb.EnrollFactorResponse => ({
  factor: toFactor(r.factor),
  totp: r.totp
    ? { secret_base32: r.totp.secretBase32, otpauth_uri: r.totp.otpauthUri, qr_png: r.totp.qrPng, digits: r.totp.digits, period: r.totp.period, algorithm: r.totp.algorithm }
    : null,
  push: r.push ? { enrollment_ticket: r.push.ticket, enrollment_uri: r.push.uri, qr_png: r.push.qrPng, expires_at: rfc3339(r.push.expiresAt) } : null,
  challenge_id: r.challengeId ?? '',
});

export const toVerifyResponse = (r: VerifyResult): pb.VerifyChallengeResponse => ({
  ok: r.ok,
  challenge: toChallenge(r.challenge),
  attempts_remaining: r.attemptsRemaining,
});

export const toUserStatus = (s: UserStatusView): pb.UserStatus => ({
  user_id: s.userId,
  enrolled: s.enrolled,
  mfa_required: s.mfaRequired,
  factors: s.factors.map(toFactor),
  locked_until: rfc3339(s.lockedUntil),
  recovery_codes_left: s.recoveryCodesLeft,
});

export const toPolicy = (p: Policy): pb.Policy => ({
  mfa_required: p.mfaRequired,
  allowed_factor_types: p.allowedFactorTypes.map(toFactorTypeName),
  otp_length: p.otpLength,
  otp_ttl_seconds: p.otpTtlSeconds,
  max_verify_attempts: p.maxVerifyAttempts,
  number_matching: p.numberMatching,
  sms_allowed_countries: p.smsAllowedCountries,
  lockout_threshold: p.lockoutThreshold,
  lockout_seconds: p.lockoutSeconds,
});

export const toAuditPage = (page: AuditPage): pb.ListAuditEventsResponse => ({
  events: page.events.map((e) => ({ id: e.id, user_id: e.userId, type: e.type, factor_id: e.factorId, challenge_id: e.challengeId, at: rfc3339(e.at), details: e.details })),
  next_page_token: page.nextPageToken,
});
