import type { DuoJob } from '@mfa/queue';

export type AuthJob = Extract<DuoJob, { kind: 'auth' }>;

/** One run of an asynchronous Duo auth: the validated job plus what BullMQ knows about it. */
export class RunDuoAuthCommand {
  private constructor(
    readonly job: AuthJob,
    readonly jobId: string,
    /** When the job was queued (ms since epoch): the challenge lifetime counts from here. */
    readonly queuedAt: number,
    /** 1 for the first try. */
    readonly attempt: number,
    /** Aborted when the worker drains: polling stops and the job goes back to the queue. */
    readonly stop: AbortSignal,
  ) {}

  static create(input: { job: AuthJob; jobId: string | undefined; queuedAt: number; attemptsMade: number; stop?: AbortSignal }): RunDuoAuthCommand {
    if (!input.jobId) throw new TypeError('a duo auth job needs an id');
    if (!Number.isFinite(input.queuedAt) || input.queuedAt <= 0) throw new TypeError('a duo auth job needs its queue time');
    return new RunDuoAuthCommand(input.job, input.jobId, input.queuedAt, input.attemptsMade + 1, input.stop ?? new AbortController().signal);
  }

  get expiresAt(): number {
    return this.queuedAt + this.job.ttlSeconds * 1000;
  }
}
