import type { DeliveredMarkers } from './delivered-markers';
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

/**
 * After the provider accepted a message: marks the challenge delivered (a rerun of the job then
 * sends nothing) and reports `delivery.sent`. A marker that cannot be written is only logged:
 * the message is out, and failing the job here would send it again.
 */
export async function recordDelivered(
  deps: { markers: DeliveredMarkers; events: Pick<JobProducer, 'add'> },
  delivery: { provider: string; challengeId: string; providerRef?: string; ttlSeconds: number },
  log: { warn(details: object, message: string): void },
): Promise<void> {
  const { provider, challengeId, providerRef, ttlSeconds } = delivery;
  try {
    await deps.markers.mark(challengeId, providerRef ? { providerRef } : {}, ttlSeconds);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'could not record the delivery marker');
  }
  await reportDeliverySent(deps.events, provider, challengeId, providerRef);
}

/** Reports the error a job finally failed with; returns what it reported. */
export async function reportDeliveryFailed(events: Pick<JobProducer, 'add'>, provider: string, challengeId: string, error: Error): Promise<{ reason: string; permanent: boolean }> {
  const reason = failureReason(error);
  const permanent = isPermanentFailure(error);
  await events.add(QueueName.Events, JobIds.failed(challengeId), { v: 1, type: 'delivery.failed', challengeId, provider, reason, permanent });
  return { reason, permanent };
}
