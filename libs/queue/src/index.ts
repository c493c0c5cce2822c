export {
  parseChallengeEvent,
  parseDeliveryJob,
  parseOtpJob,
  parsePushJob,
  sealedDeliveryAad,
  sealedDestinationAad,
  sealedPushTokenAad,
  type ChallengeEventJob,
  type ChallengePurpose,
  type DeliveryContent,
  type DeliveryJob,
  type OtpJob,
  type OutOfBandChannel,
  type PushJob,
} from './job-payloads';
export {
  duoTxidKey,
  parseDuoJob,
  parseDuoPreauthResult,
  parseDuoResultEvent,
  sealedDuoEnrollUrlAad,
  sealedDuoPasscodeAad,
  sealedDuoUsernameAad,
  type DuoFactor,
  type DuoJob,
  type DuoPasscodeResult,
  type DuoPreauthOutcome,
  type DuoPreauthResult,
  type DuoPushInfo,
  type DuoResultEvent,
  type LegacyDuoPreauthResult,
} from './duo-payloads';
export { JobIds } from './job-ids';
export { JobProducer, type JobOf, type ProducedQueue } from './job-producer';
export { otpCodeKey, OtpCodeStore } from './otp-code-store';
export { InvalidJobPayloadError } from './payload-validation';
export { PermanentProviderError, RetryableProviderError } from './provider-errors';
export { ALL_QUEUES, DEFAULT_QUEUE_PREFIX, QueueName } from './queue-names';
export { clusterPrefixProblem, createBullConnection, createRequestConnection, duplicateConnection, redisClusterNodes, redisConnectionOptions, redisSettingsFromEnv, type RedisConnection } from './redis-connection';
export { DEFAULT_JOB_OPTIONS, jitteredBackoff } from './retry-policy';
export { isFinalAttempt, JobDeferred, JobInterrupted, runWorker, type RunningWorker, type WorkerRunnerOptions } from './worker-runner';
export { challengeEndedKey } from './ended-marker';
export { deliveredMarkerKey, RedisDeliveredMarkers, type DeliveredMarker, type DeliveredMarkers, type DeliveryGuard } from './delivered-markers';
export { failureReason, isPermanentFailure, RETRIES_EXHAUSTED_REASON, STALLED_OUT_REASON, UndeliverableJobError } from './delivery-failure';
export { recordDelivered, reportDeliveryFailed, reportDeliverySent } from './delivery-reports';
