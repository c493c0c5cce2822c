/**
 * TypeScript shapes of the `mfa.v1` messages as proto-loader presents them (PROTO_LOADER_OPTIONS):
 * snake_case fields, enums as their names. Kept by hand beside mfa.proto; `mfa-proto.spec.ts`
 * checks that both name the same fields.
 */
export type FactorTypeName = 'FACTOR_TYPE_UNSPECIFIED' | 'FACTOR_TYPE_TOTP' | 'FACTOR_TYPE_SMS' | 'FACTOR_TYPE_VOICE' | 'FACTOR_TYPE_EMAIL' | 'FACTOR_TYPE_PUSH' | 'FACTOR_TYPE_DUO';
export type FactorStatusName = 'FACTOR_STATUS_UNSPECIFIED' | 'FACTOR_STATUS_PENDING' | 'FACTOR_STATUS_ACTIVE' | 'FACTOR_STATUS_FAILED';
export type ChallengeStatusName =
  | 'CHALLENGE_STATUS_UNSPECIFIED'
  | 'CHALLENGE_STATUS_PENDING'
  | 'CHALLENGE_STATUS_APPROVED'
  | 'CHALLENGE_STATUS_DENIED'
  | 'CHALLENGE_STATUS_EXPIRED'
  | 'CHALLENGE_STATUS_FAILED'
  | 'CHALLENGE_STATUS_CANCELED';
export type DeliveryStatusName = 'DELIVERY_STATUS_UNSPECIFIED' | 'DELIVERY_STATUS_NOT_REQUIRED' | 'DELIVERY_STATUS_QUEUED' | 'DELIVERY_STATUS_SENT' | 'DELIVERY_STATUS_FAILED';

/** Incoming enums may also arrive as numbers a client sent that this server does not know. */
export type IncomingEnum<T extends string> = T | number;

export interface Factor {
  id: string;
  user_id: string;
  type: FactorTypeName;
  status: FactorStatusName;
  display: string;
  created_at: string;
  last_used_at: string;
  enroll_url: string;
}

export interface EnrollFactorRequest {
  user_id: string;
  type: IncomingEnum<FactorTypeName>;
  phone_number: string;
  email: string;
  duo_username: string;
  label: string;
  locale: string;
}

export interface TotpEnrollment {
  secret_base32: string;
  otpauth_uri: string;
  qr_png: Buffer;
  digits: number;
  period: number;
  algorithm: string;
}

export interface PushEnrollment {
  enrollment_ticket: string;
  enrollment_uri: string;
  qr_png: Buffer;
  expires_at: string;
}

export interface EnrollFactorResponse {
  factor: Factor;
  totp?: TotpEnrollment | null;
  push?: PushEnrollment | null;
  challenge_id: string;
}

export interface ConfirmEnrollmentRequest {
  user_id: string;
  factor_id: string;
  code: string;
}

export interface ListFactorsRequest {
  user_id: string;
}

export interface ListFactorsResponse {
  factors: Factor[];
}

export interface DeleteFactorRequest {
  user_id: string;
  factor_id: string;
}

export type DeleteFactorResponse = Record<string, never>;

export interface GetUserStatusRequest {
  user_id: string;
}

export interface UserStatus {
  user_id: string;
  enrolled: boolean;
  mfa_required: boolean;
  factors: Factor[];
  locked_until: string;
  recovery_codes_left: number;
}

export interface ChallengeContext {
  ip: string;
  user_agent: string;
  application: string;
  action: string;
  location: string;
}

export interface StartChallengeRequest {
  user_id: string;
  factor_id: string;
  context?: ChallengeContext | null;
  idempotency_key: string;
  locale: string;
}

export interface Challenge {
  id: string;
  user_id: string;
  factor_id: string;
  type: FactorTypeName;
  status: ChallengeStatusName;
  delivery: DeliveryStatusName;
  created_at: string;
  expires_at: string;
  attempts_remaining: number;
  binding_code: string;
  reason: string;
}

export interface VerifyChallengeRequest {
  challenge_id: string;
  code: string;
}

export interface VerifyChallengeResponse {
  ok: boolean;
  challenge?: Challenge | null;
  attempts_remaining: number;
}

export interface GetChallengeRequest {
  challenge_id: string;
}

export interface GenerateRecoveryCodesRequest {
  user_id: string;
}

export interface RecoveryCodes {
  codes: string[];
}

export interface RedeemRecoveryCodeRequest {
  user_id: string;
  code: string;
}

export type GetPolicyRequest = Record<string, never>;

export interface Policy {
  mfa_required: boolean;
  allowed_factor_types: IncomingEnum<FactorTypeName>[];
  otp_length: number;
  otp_ttl_seconds: number;
  max_verify_attempts: number;
  number_matching: boolean;
  sms_allowed_countries: string[];
  lockout_threshold: number;
  lockout_seconds: number;
}

export interface ListAuditEventsRequest {
  user_id: string;
  page_size: number;
  page_token: string;
}

export interface AuditEvent {
  id: string;
  user_id: string;
  type: string;
  factor_id: string;
  challenge_id: string;
  at: string;
  details: Record<string, string>;
}

export interface ListAuditEventsResponse {
  events: AuditEvent[];
  next_page_token: string;
}
