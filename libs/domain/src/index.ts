export { assertUnreachable } from './assert-unreachable';
export { AuditEventType } from './audit';
export {
  CHALLENGE_STATUSES,
  type ChallengeEvent,
  type ChallengeStatus,
  type DeliveryStatus,
  isExpired,
  isFinalStatus,
  registerWrongCode,
  transitionChallenge,
  transitionDelivery,
} from './challenge-state';
export {
  assertCodeShape,
  formatRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_COUNT,
  recoveryCodeFromBytes,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW_STEPS,
} from './codes';
export { maskContactDetails } from './display';
export { emailIdentity, maskEmail, normalizeEmail } from './email';
export {
  DomainError,
  DomainErrorCode,
  failedPrecondition,
  invalidArgument,
  notFound,
  resourceExhausted,
} from './errors';
export {
  FACTOR_TYPES,
  type FactorStatus,
  type FactorType,
  isFactorType,
  isOutOfBand,
  type OutOfBandFactorType,
  usesPhoneNumber,
} from './factor';
export { assertLocale, assertOpaqueId, assertOptionalText, assertUserId } from './identifiers';
export { afterFailure, afterSuccess, isLocked, lockedFor, type LockoutState, lockNow } from './lockout';
export { maskPhoneNumber, parsePhoneNumber, type PhoneNumber } from './phone';
export {
  DEFAULT_POLICY,
  isCountryAllowed,
  isFactorTypeAllowed,
  normalizePolicy,
  type Policy,
  type PolicyInput,
  type PolicyOrigin,
} from './policy';
export { type AcceptedTotpSteps, isTotpStepUsed, TOTP_REPLAY_SPAN, withTotpStepAccepted } from './totp-steps';
