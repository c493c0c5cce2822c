import { ALL_QUEUES, type JobProducer } from '@mfa/queue';

/**
 * Opens every queue of `producer` with an error listener. A BullMQ Queue re-emits each error of
 * its connection and, with no listener, prints it with its stack on stderr: every reconnect
 * attempt while Redis is down. The connection itself already logs those errors (one line,
 * throttled: `createRequestConnection`, `createBullConnection`), so the queues only listen; they
 * are opened now so that none is created later without a listener.
 */
export function openProducerQueues(producer: JobProducer): void {
  for (const name of ALL_QUEUES) producer.queue(name).on('error', () => undefined);
}
