import type { Logger, WorkerMetrics } from '@mfa/observability';
import { parseDuoPreauthResult, PermanentProviderError, type DuoJob, type DuoPreauthResult } from '@mfa/queue';
import { withoutUsername } from './check-duo-passcode.usecase';
import { WORKER_PROVIDER, type DuoSecrets } from './duo-secrets';
import { logProviderFailure } from './provider-failure-log';
import type { DuoPreauthAnswer, DuoProvider } from './providers/duo.provider';
import { providerOutcome } from './providers/duo/duo-error-classification';

export type PreauthJob = Extract<DuoJob, { kind: 'preauth' }>;

export interface PreauthDuoUserDependencies {
  secrets: DuoSecrets;
  duo: DuoProvider;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
}

/**
 * Enrollment (and its re-check): asks Duo's preauth whether the user may authenticate (`auth`),
 * must enroll first (`enroll`, with the portal URL), is let through (`allow`) or refused
 * (`deny`). The answer is the job's return value, which the gateway awaits. It stays in Redis
 * (and on the queue dashboard) after the gateway read it, so the portal URL, a link that lets
 * whoever opens it enroll a device for the user, is sealed to this job.
 */
export class PreauthDuoUserUseCase {
  private readonly logger: Logger;

  constructor(private readonly deps: PreauthDuoUserDependencies) {
    this.logger = deps.logger.child({ component: 'PreauthDuoUserUseCase' });
  }

  async execute(job: PreauthJob, jobId: string | undefined): Promise<DuoPreauthResult> {
    const log = { factorId: job.factorId, jobId, kind: job.kind };
    // BullMQ gives every job an id; without one the answer could not be sealed to its question.
    if (jobId === undefined) throw new PermanentProviderError('the preauth job has no id to seal its answer to', WORKER_PROVIDER);
    const username = this.deps.secrets.username(job.sealedUsername, job.factorId, log);
    let answer: DuoPreauthAnswer;
    try {
      answer = await this.deps.metrics.measureProvider(this.deps.duo.name, () => this.deps.duo.preauth(username), providerOutcome);
    } catch (error) {
      logProviderFailure(this.logger, log, error, 'Duo preauth');
      throw error;
    }
    this.logger.info({ ...log, result: answer.result }, 'Duo preauth answered');
    const result: DuoPreauthResult = {
      v: 2,
      result: answer.result,
      // The gateway writes it into the audit trail: no username there, as for passcode and auth answers.
      statusMessage: withoutUsername(answer.statusMessage, username).slice(0, 255),
      ...(answer.enrollPortalUrl === undefined ? {} : { sealedEnrollPortalUrl: this.deps.secrets.sealEnrollUrl(answer.enrollPortalUrl, job.factorId, jobId) }),
    };
    // Checked on the way out as jobs are on the way in: the gateway refuses what does not validate.
    parseDuoPreauthResult(result);
    return result;
  }
}
