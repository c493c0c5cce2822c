export {
  parseChallengeEvent,
  parseDeliveryJob,
  parseOtpJob,
  sealedDeliveryAad,
  sealedDestinationAad,
  type ChallengeEventJob,
  type ChallengePurpose,
  type DeliveryContent,
  type DeliveryJob,
  type OtpJob,
  type OutOfBandChannel,
} from './job-payloads';
export { JobIds } from './job-ids';
export { JobProducer, type JobOf, type ProducedQueue } from './job-producer';
export { OtpCodeStore } from './otp-code-store';
export { InvalidJobPayloadError } from './payload-validation';
export { PermanentProviderError, RetryableProviderError } from './provider-errors';
export { ALL_QUEUES, DEFAULT_QUEUE_PREFIX, QueueName } from './queue-names';
export { createBullConnection, createRequestConnection } from './redis-connection';
export { DEFAULT_JOB_OPTIONS, jitteredBackoff } from './retry-policy';
export { isFinalAttempt, runWorker, type RunningWorker, type WorkerRunnerOptions } from './worker-runner';
