import type { Logger, WorkerMetrics } from '@mfa/observability';
import type { DuoJob, DuoPreauthResult } from '@mfa/queue';
import type { DuoSecrets } from './duo-secrets';
import { logProviderFailure } from './provider-failure-log';
import type { DuoProvider } from './providers/duo.provider';
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
 * (`deny`). The answer is the job's return value, which the gateway awaits.
 */
export class PreauthDuoUserUseCase {
  private readonly logger: Logger;

  constructor(private readonly deps: PreauthDuoUserDependencies) {
    this.logger = deps.logger.child({ component: 'PreauthDuoUserUseCase' });
  }

  async execute(job: PreauthJob, jobId: string | undefined): Promise<DuoPreauthResult> {
    const log = { factorId: job.factorId, jobId, kind: job.kind };
    const username = this.deps.secrets.username(job.sealedUsername, job.factorId, log);
    try {
      const result = await this.deps.metrics.measureProvider(this.deps.duo.name, () => this.deps.duo.preauth(username), providerOutcome);
      this.logger.info({ ...log, result: result.result }, 'Duo preauth answered');
      return result;
    } catch (error) {
      logProviderFailure(this.logger, log, error, 'Duo preauth');
      throw error;
    }
  }
}
