import { Queue, type JobsOptions } from 'bullmq';
import type { RedisConnection } from './redis-connection';
import type { ChallengeEventJob, DeliveryJob, OtpJob, PushJob } from './job-payloads';
import { parseChallengeEvent, parseDeliveryJob, parseOtpJob, parsePushJob } from './job-payloads';
import { parseDuoJob, type DuoJob } from './duo-payloads';
import { QueueName } from './queue-names';
import { DEFAULT_JOB_OPTIONS } from './retry-policy';

/** Payload type of each queue: producers cannot put the wrong job on a queue. */
export interface JobOf {
  [QueueName.Otp]: OtpJob;
  [QueueName.Telephony]: DeliveryJob;
  [QueueName.Email]: DeliveryJob;
  [QueueName.Push]: PushJob;
  [QueueName.Duo]: DuoJob;
  [QueueName.Events]: ChallengeEventJob;
}
export type ProducedQueue = keyof JobOf;

const VALIDATORS: { [Q in ProducedQueue]: (data: unknown) => JobOf[Q] } = {
  [QueueName.Otp]: parseOtpJob,
  [QueueName.Telephony]: parseDeliveryJob,
  [QueueName.Email]: parseDeliveryJob,
  [QueueName.Push]: parsePushJob,
  [QueueName.Duo]: parseDuoJob,
  [QueueName.Events]: parseChallengeEvent,
};

/**
 * Adds validated jobs to the queues. The job id makes adding idempotent: BullMQ ignores a second
 * job with an id it already holds, so a retried producer never sends twice.
 */
export class JobProducer {
  private readonly queues = new Map<ProducedQueue, Queue>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
  ) {}

  queue(name: ProducedQueue): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      // A Queue re-emits its connection's errors and, with no listener, prints each with its stack:
      // every reconnect attempt while Redis is down. The connection logs them already (throttled).
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** `options` may shorten retries, e.g. for a question a caller waits on for seconds only. */
  async add<Q extends ProducedQueue>(name: Q, jobId: string, payload: JobOf[Q], options: Pick<JobsOptions, 'attempts'> = {}): Promise<void> {
    const data = VALIDATORS[name](payload);
    await this.queue(name).add(name, data, { ...options, jobId });
  }

  async exists(name: ProducedQueue, jobId: string): Promise<boolean> {
    return this.anyExists([this.jobKey(name, jobId)]);
  }

  /** Removes a job that no worker holds; one running now is left to finish. True when it was removed. */
  async remove(name: ProducedQueue, jobId: string): Promise<boolean> {
    return (await this.queue(name).remove(jobId)) > 0;
  }

  /** The Redis key of a job (its hash), for existence checks across queues in one command. */
  jobKey(name: ProducedQueue, jobId: string): string {
    return this.queue(name).toKey(jobId);
  }

  /** Whether any of these keys exists (one EXISTS: the keys share the prefix's hash slot). */
  async anyExists(keys: string[]): Promise<boolean> {
    return (await this.connection.exists(...keys)) > 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
