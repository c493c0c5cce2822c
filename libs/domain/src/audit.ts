/** The `type` of an AuditEvent; the values are stored and returned by ListAuditEvents. */
export const AuditEventType = {
  FactorEnrolled: 'factor_enrolled',
  FactorConfirmed: 'factor_confirmed',
  FactorDeleted: 'factor_deleted',
  ChallengeStarted: 'challenge_started',
  ChallengeApproved: 'challenge_approved',
  ChallengeDenied: 'challenge_denied',
  ChallengeFailed: 'challenge_failed',
  ChallengeExpired: 'challenge_expired',
  ChallengeCanceled: 'challenge_canceled',
  VerifyFailed: 'verify_failed',
  ReplayRejected: 'replay_rejected',
  UserLocked: 'user_locked',
  UserUnlocked: 'user_unlocked',
  RecoveryCodesGenerated: 'recovery_codes_generated',
  RecoveryCodeRedeemed: 'recovery_code_redeemed',
  RecoveryCodeRejected: 'recovery_code_rejected',
  PolicyUpdated: 'policy_updated',
  FraudReported: 'fraud_reported',
  DeliveryFailed: 'delivery_failed',
  DevicePushUpdated: 'device_push_updated',
} as const;

export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];
