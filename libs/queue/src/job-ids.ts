/**
 * Job ids, derived from the challenge so that adding a job twice adds it once. BullMQ refuses
 * ':' in custom ids (it separates its own keys), hence the '.' separators.
 */
export const JobIds = {
  otp: (challengeId: string): string => challengeId,
  delivery: (challengeId: string): string => `${challengeId}.delivery`,
  push: (challengeId: string): string => `${challengeId}.push`,
  tokenInvalid: (challengeId: string): string => `${challengeId}.token-invalid`,
  duoAuth: (challengeId: string): string => `${challengeId}.duo-auth`,
  duoResult: (challengeId: string): string => `${challengeId}.duo-result`,
  sent: (challengeId: string): string => `${challengeId}.sent`,
  failed: (challengeId: string): string => `${challengeId}.failed`,
} as const;
