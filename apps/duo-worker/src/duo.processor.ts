import { JobDeferred, type DuoJob, type DuoPasscodeResult, type DuoPreauthResult } from '@mfa/queue';
import type { Job } from 'bullmq';
import type { CheckDuoPasscodeUseCase } from './check-duo-passcode.usecase';
import { RunDuoAuthCommand } from './run-duo-auth.command';
import type { DuoAuthOutcome, RunDuoAuthUseCase } from './run-duo-auth.usecase';

/** A `duo` job's return value: what the gateway reads after `waitUntilFinished`. */
export type DuoJobResult = DuoPreauthResult | DuoPasscodeResult | { result: DuoAuthOutcome };

/** How long an auth that found no slot of its share waits in the queue before a worker takes it again. */
export const AUTH_DEFER_MS = 1_000;

/**
 * How many of a worker's jobs in flight may be auths. An auth holds its slot until the user answers
 * or the challenge expires; the rest are kept for preauth and passcode checks, which a caller waits
 * on for seconds, so unanswered pushes never leave those without a slot.
 */
export function authSlots(concurrency: number): number {
  return concurrency === 1 ? 1 : concurrency - Math.max(1, Math.floor(concurrency / 8));
}

/** The `duo` queue's transport: job → one use case, by kind. */
export class DuoProcessor {
  private authsInFlight = 0;

  constructor(
    private readonly useCases: {
      preauth: { execute(job: Extract<DuoJob, { kind: 'preauth' }>, jobId: string | undefined): Promise<DuoPreauthResult> };
      passcode: Pick<CheckDuoPasscodeUseCase, 'execute'>;
      auth: Pick<RunDuoAuthUseCase, 'execute' | 'reportFinalFailure'>;
    },
    private readonly maxAuthsInFlight: number,
  ) {}

  async process(payload: DuoJob, job: Job, stop: AbortSignal): Promise<DuoJobResult> {
    switch (payload.kind) {
      case 'preauth':
        return this.useCases.preauth.execute(payload, job.id);
      case 'passcode':
        return this.useCases.passcode.execute(payload, job.id);
      case 'auth':
        return { result: await this.runAuth(payload, job, stop) };
    }
  }

  private async runAuth(payload: Extract<DuoJob, { kind: 'auth' }>, job: Job, stop: AbortSignal): Promise<DuoAuthOutcome> {
    if (this.authsInFlight >= this.maxAuthsInFlight) throw new JobDeferred(AUTH_DEFER_MS);
    this.authsInFlight += 1;
    try {
      return await this.useCases.auth.execute(RunDuoAuthCommand.create({ job: payload, jobId: job.id, queuedAt: job.timestamp, attemptsMade: job.attemptsMade, stop }));
    } finally {
      this.authsInFlight -= 1;
    }
  }

  /** Only an auth has someone waiting on `events`; preauth and passcode callers see the job fail. */
  async onFinalFailure(payload: DuoJob, error: Error): Promise<void> {
    if (payload.kind === 'auth') await this.useCases.auth.reportFinalFailure(payload, error);
  }
}
