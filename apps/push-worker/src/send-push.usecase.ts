import type { Keyring } from '@mfa/crypto';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import { type DeliveredMarkers, JobIds, type JobProducer, PermanentProviderError, QueueName, recordDelivered, reportDeliveryFailed, reportDeliverySent, sealedPushTokenAad, UndeliverableJobError } from '@mfa/queue';
import { PUSH_EXPIRED_REASON, UNREADABLE_JOB_REASON } from './delivery-failure';
import { DeadPushTokenError, diagnosticsOf, type PushProvider } from './providers/push.provider';
import type { SendPushCommand } from './send-push.command';

export interface SendPushDependencies {
  keyring: Pick<Keyring, 'decryptText'>;
  provider: PushProvider;
  markers: DeliveredMarkers;
  events: Pick<JobProducer, 'add'>;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
  now?: () => number;
}

export type SendPushOutcome = 'sent' | 'already-sent' | 'token-invalid';

const classifyOutcome = (error: unknown): 'retryable' | 'permanent' =>
  error instanceof PermanentProviderError || error instanceof DeadPushTokenError ? 'permanent' : 'retryable';

/**
 * Sends one wake-up push: open the sealed token → drop it if the challenge has expired → skip it
 * if the provider already accepted it → send → remember it was sent → report `delivery.sent`.
 * A dead token is reported as `push.token_invalid` and ends the job (the gateway fails the challenge and forgets the token);
 * other errors propagate to BullMQ, which retries or fails the job by their class.
 */
export class SendPushUseCase {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: SendPushDependencies) {
    this.logger = deps.logger.child({ component: 'SendPushUseCase' });
    this.now = deps.now ?? Date.now;
  }

  async execute(command: SendPushCommand): Promise<SendPushOutcome> {
    const log = this.logger.child({ challengeId: command.challengeId, factorId: command.factorId, jobId: command.jobId });
    const token = this.open(command, log);

    if (this.now() >= command.expiresAt) {
      log.info('challenge expired before the push could be sent; nothing sent');
      throw new UndeliverableJobError(PUSH_EXPIRED_REASON);
    }

    // The gateway takes back a push itself (it sets no ended mark for one): only the delivered mark counts here.
    const { delivered: marker } = await this.deps.markers.lookup(command.challengeId);
    if (marker) {
      log.info('push already accepted by the provider; not sending again');
      await this.reportSent(command.challengeId, marker.providerRef);
      return 'already-sent';
    }

    const provider = this.deps.provider;
    let providerRef: string | undefined;
    try {
      ({ providerRef } = await this.deps.metrics.measureProvider(
        provider.name,
        () => provider.send({ token, challengeId: command.challengeId, expiresAt: command.expiresAt }),
        classifyOutcome,
      ));
    } catch (error) {
      const details = { provider: provider.name, ...diagnosticsOf(error) };
      if (error instanceof DeadPushTokenError) {
        await this.deps.events.add(QueueName.Events, JobIds.tokenInvalid(command.challengeId), {
          v: 1,
          type: 'push.token_invalid',
          challengeId: command.challengeId,
          factorId: command.factorId,
          provider: provider.name,
        });
        log.warn(details, 'device token is no longer valid; reported push.token_invalid (the device can still poll)');
        return 'token-invalid';
      }
      if (error instanceof PermanentProviderError) log.error({ ...details, reason: error.reason }, 'push refused for good');
      else log.warn({ ...details, attempt: 'will retry' }, 'push not sent');
      throw error;
    }

    await recordDelivered(this.deps, { provider: provider.name, challengeId: command.challengeId, providerRef, ttlSeconds: command.ttlSeconds }, log);
    log.info({ provider: provider.name, providerRef }, 'push sent');
    return 'sent';
  }

  /** Reports a final failure back to the gateway (once per challenge, by job id). */
  async reportFailure(challengeId: string, error: Error, jobId?: string): Promise<void> {
    const { reason, permanent } = await reportDeliveryFailed(this.deps.events, this.deps.provider.name, challengeId, error);
    this.logger.warn({ challengeId, jobId, reason, permanent }, 'push delivery failed');
  }

  private reportSent(challengeId: string, providerRef: string | undefined): Promise<void> {
    return reportDeliverySent(this.deps.events, this.deps.provider.name, challengeId, providerRef);
  }

  private open(command: SendPushCommand, log: Logger): string {
    let token: string;
    try {
      token = this.deps.keyring.decryptText(command.sealedToken, sealedPushTokenAad(command.challengeId));
    } catch (error) {
      // A key missing from MFA_ENCRYPTION_KEYS, or an envelope moved between jobs: only an operator can help.
      log.error({ err: (error as Error).name }, 'could not decrypt the push job; check MFA_ENCRYPTION_KEYS');
      throw new UndeliverableJobError(UNREADABLE_JOB_REASON);
    }
    if (token.trim().length === 0) {
      log.error('the push job holds no device token');
      throw new UndeliverableJobError(UNREADABLE_JOB_REASON);
    }
    return token;
  }
}
