/** Queues of API.md §3. Work for the workers, and `events`: outcomes back to the gateway. */
export const QueueName = {
  Otp: 'otp',
  Telephony: 'telephony',
  Email: 'email',
  Push: 'push',
  Duo: 'duo',
  Events: 'events',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

/** Hash-tagged, so every key of every queue lands in one Redis Cluster slot. */
export const DEFAULT_QUEUE_PREFIX = '{mfa}';
