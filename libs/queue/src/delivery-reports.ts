import { failureReason, isPermanentFailure } from './delivery-failure';
import { JobIds } from './job-ids';
import type { JobProducer } from './job-producer';
import { QueueName } from './queue-names';

/**
 * What a delivering worker tells the gateway on the `events` queue: the provider accepted the
 * message, or the delivery failed for good. Job ids make each report count once per challenge.
 */
export async function reportDeliverySent(events: Pick<JobProducer, 'add'>, provider: string, challengeId: string, providerRef?: string): Promise<void> {
  await events.add(QueueName.Events, JobIds.sent(challengeId), {
    v: 1,
    type: 'delivery.sent',
    challengeId,
    provider,
    ...(providerRef ? { providerRef } : {}),
  });
}

/** Reports the error a job finally failed with; returns what it reported. */
export async function reportDeliveryFailed(events: Pick<JobProducer, 'add'>, provider: string, challengeId: string, error: Error): Promise<{ reason: string; permanent: boolean }> {
  const reason = failureReason(error);
  const permanent = isPermanentFailure(error);
  await events.add(QueueName.Events, JobIds.failed(challengeId), { v: 1, type: 'delivery.failed', challengeId, provider, reason, permanent });
  return { reason, permanent };
}
