import type { Logger, WorkerMetrics } from '@mfa/observability';
import type { DuoJob, DuoPasscodeResult } from '@mfa/queue';
import type { DuoSecrets } from './duo-secrets';
import { logProviderFailure } from './provider-failure-log';
import type { DuoProvider } from './providers/duo.provider';
import { providerOutcome } from './providers/duo/duo-error-classification';

export type PasscodeJob = Extract<DuoJob, { kind: 'passcode' }>;

/** What a passcode that cannot be one is answered with, without asking Duo. */
export const MALFORMED_PASSCODE_MESSAGE = 'That is not a Duo passcode.';
/**
 * Duo passcodes: 6-digit Duo Mobile and hardware tokens, 7-digit SMS passcodes, 8–10-digit
 * bypass codes, and YubiKey OTPs (modhex).
 */
const PASSCODE = /^(\d{6,10}|[cbdefghijklnrtuv]{32,48})$/;

export interface CheckDuoPasscodeDependencies {
  secrets: DuoSecrets;
  duo: DuoProvider;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
}

/** VerifyChallenge with a code on a Duo factor: Duo's synchronous `passcode` auth; the job returns its answer. */
export class CheckDuoPasscodeUseCase {
  private readonly logger: Logger;

  constructor(private readonly deps: CheckDuoPasscodeDependencies) {
    this.logger = deps.logger.child({ component: 'CheckDuoPasscodeUseCase' });
  }

  async execute(job: PasscodeJob, jobId: string | undefined): Promise<DuoPasscodeResult> {
    const log = { challengeId: job.challengeId, factorId: job.factorId, jobId, kind: job.kind };
    const username = this.deps.secrets.username(job.sealedUsername, job.factorId, log);
    const passcode = this.deps.secrets.passcode(job.sealedPasscode, job.challengeId, log);
    if (!PASSCODE.test(passcode)) {
      this.logger.info(log, 'passcode malformed; Duo not asked');
      return { result: 'deny', statusMessage: MALFORMED_PASSCODE_MESSAGE };
    }
    try {
      const result = await this.deps.metrics.measureProvider(this.deps.duo.name, () => this.deps.duo.checkPasscode(username, passcode), providerOutcome);
      this.logger.info({ ...log, result: result.result }, 'Duo passcode checked');
      return { result: result.result, statusMessage: withoutUsername(result.statusMessage, username) };
    } catch (error) {
      logProviderFailure(this.logger, log, error, 'Duo passcode check');
      throw error;
    }
  }
}

/** Duo's messages do not quote the username today; this keeps it that way if they ever do. */
export function withoutUsername(message: string, username: string): string {
  if (username.length < 2) return message;
  return message.split(username).join('the user');
}
