import type { DuoJob, DuoPasscodeResult, DuoPreauthResult } from '@mfa/queue';
import type { Job } from 'bullmq';
import type { CheckDuoPasscodeUseCase } from './check-duo-passcode.usecase';
import { RunDuoAuthCommand } from './run-duo-auth.command';
import type { DuoAuthOutcome, RunDuoAuthUseCase } from './run-duo-auth.usecase';

/** A `duo` job's return value: what the gateway reads after `waitUntilFinished`. */
export type DuoJobResult = DuoPreauthResult | DuoPasscodeResult | { result: DuoAuthOutcome };

/** The `duo` queue's transport: job → one use case, by kind. */
export class DuoProcessor {
  constructor(
    private readonly useCases: {
      preauth: { execute(job: Extract<DuoJob, { kind: 'preauth' }>, jobId: string | undefined): Promise<DuoPreauthResult> };
      passcode: Pick<CheckDuoPasscodeUseCase, 'execute'>;
      auth: Pick<RunDuoAuthUseCase, 'execute' | 'reportFinalFailure'>;
    },
  ) {}

  async process(payload: DuoJob, job: Job, stop: AbortSignal): Promise<DuoJobResult> {
    switch (payload.kind) {
      case 'preauth':
        return this.useCases.preauth.execute(payload, job.id);
      case 'passcode':
        return this.useCases.passcode.execute(payload, job.id);
      case 'auth':
        return { result: await this.useCases.auth.execute(RunDuoAuthCommand.create({ job: payload, jobId: job.id, queuedAt: job.timestamp, attemptsMade: job.attemptsMade, stop })) };
    }
  }

  /** Only an auth has someone waiting on `events`; preauth and passcode callers see the job fail. */
  async onFinalFailure(payload: DuoJob, error: Error): Promise<void> {
    if (payload.kind === 'auth') await this.useCases.auth.reportFinalFailure(payload, error);
  }
}
