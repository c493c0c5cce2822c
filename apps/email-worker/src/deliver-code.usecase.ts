import type { Keyring } from '@mfa/crypto';
import { maskEmail } from '@mfa/domain';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import { type DeliveredMarkers, type DeliveryContent, type JobProducer, PermanentProviderError, recordDelivered, reportDeliveryFailed, reportDeliverySent, sealedDeliveryAad, UndeliverableJobError } from '@mfa/queue';
import type { DeliverCodeCommand } from './deliver-code.command';
import { CODE_EXPIRED_REASON, UNREADABLE_JOB_REASON } from './delivery-failure';
import { renderCodeEmail } from './messages/code-email';
import { diagnosticsOf, type EmailProvider } from './providers/email.provider';

export interface DeliverCodeDependencies {
  keyring: Pick<Keyring, 'decryptText'>;
  provider: EmailProvider;
  markers: DeliveredMarkers;
  events: Pick<JobProducer, 'add'>;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
  now?: () => number;
}

export type DeliverCodeOutcome = 'sent' | 'already-sent' | 'withdrawn';

const classifyOutcome = (error: unknown): 'retryable' | 'permanent' => (error instanceof PermanentProviderError ? 'permanent' : 'retryable');

/**
 * Delivers one code e-mail: open the sealed content → skip it if the provider already accepted
 * it → send nothing if the gateway marked the challenge ended → drop it if the code has expired →
 * render and send → remember it was sent → report
 * `delivery.sent`. Errors propagate to BullMQ, which retries or fails the job by their class.
 */
export class DeliverCodeUseCase {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: DeliverCodeDependencies) {
    this.logger = deps.logger.child({ component: 'DeliverCodeUseCase' });
    this.now = deps.now ?? Date.now;
  }

  async execute(command: DeliverCodeCommand): Promise<DeliverCodeOutcome> {
    const log = this.logger.child({ challengeId: command.challengeId, jobId: command.jobId });
    const content = this.open(command, log);

    const { delivered: marker, ended } = await this.deps.markers.lookup(command.challengeId);
    if (marker) {
      // A retry after the provider accepted (the worker died, or reporting failed): report again,
      // idempotently by job id, but never send a second code e-mail.
      log.info('code e-mail already accepted by the provider; not sending again');
      await this.reportSent(command.challengeId, marker.providerRef);
      return 'already-sent';
    }
    if (ended) {
      // Cancelled (or its factor deleted) after the otp worker drew the code: nobody can use it.
      // Nothing to report: the gateway's delivery relay settles the delivery as not required.
      log.info('challenge ended before its code e-mail went out; nothing sent');
      return 'withdrawn';
    }
    if (this.now() >= command.expiresAt) {
      log.info('code expired before it could be delivered; nothing sent');
      throw new UndeliverableJobError(CODE_EXPIRED_REASON);
    }

    const email = renderCodeEmail({ code: content.code, issuer: command.issuer, locale: command.locale, purpose: command.purpose, ttlSeconds: command.ttlSeconds });
    const provider = this.deps.provider;
    let providerRef: string | undefined;
    try {
      ({ providerRef } = await this.deps.metrics.measureProvider(
        provider.name,
        () => provider.send({ to: content.to, subject: email.subject, text: email.text, html: email.html }),
        classifyOutcome,
      ));
    } catch (error) {
      const details = { provider: provider.name, recipient: maskEmail(content.to), ...diagnosticsOf(error) };
      if (error instanceof PermanentProviderError) log.error({ ...details, reason: error.reason }, 'code e-mail refused for good');
      else log.warn({ ...details, attempt: 'will retry' }, 'code e-mail not sent');
      throw error;
    }

    await recordDelivered(this.deps, { provider: provider.name, challengeId: command.challengeId, providerRef, ttlSeconds: command.ttlSeconds }, log);
    log.info({ provider: provider.name, providerRef, recipient: maskEmail(content.to), language: email.language }, 'code e-mail sent');
    return 'sent';
  }

  /** Reports a final failure back to the gateway (once per challenge, by job id). */
  async reportFailure(challengeId: string, error: Error, jobId?: string): Promise<void> {
    const { reason, permanent } = await reportDeliveryFailed(this.deps.events, this.deps.provider.name, challengeId, error);
    this.logger.warn({ challengeId, jobId, reason, permanent }, 'code e-mail delivery failed');
  }

  private reportSent(challengeId: string, providerRef: string | undefined): Promise<void> {
    return reportDeliverySent(this.deps.events, this.deps.provider.name, challengeId, providerRef);
  }

  private open(command: DeliverCodeCommand, log: Logger): DeliveryContent {
    let content: unknown;
    try {
      content = JSON.parse(this.deps.keyring.decryptText(command.sealed, sealedDeliveryAad(command.challengeId)));
    } catch (error) {
      // A key missing from MFA_ENCRYPTION_KEYS, or an envelope moved between jobs: only an operator can help.
      log.error({ err: (error as Error).name }, 'could not decrypt the delivery job; check MFA_ENCRYPTION_KEYS');
      throw new UndeliverableJobError(UNREADABLE_JOB_REASON);
    }
    const { to, code } = (content ?? {}) as Partial<Record<keyof DeliveryContent, unknown>>;
    if (typeof to !== 'string' || !to.includes('@') || typeof code !== 'string' || code.length === 0) {
      log.error('the delivery job holds no usable address and code');
      throw new UndeliverableJobError(UNREADABLE_JOB_REASON);
    }
    return { to, code };
  }
}
