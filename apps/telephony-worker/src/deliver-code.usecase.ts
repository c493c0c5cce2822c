import type { Keyring } from '@mfa/crypto';
import { maskPhoneNumber } from '@mfa/domain';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import { type DeliveryContent, type DeliveryJob, JobIds, type JobProducer, type OutOfBandChannel, PermanentProviderError, QueueName, reportDeliverySent, RetryableProviderError, sealedDeliveryAad } from '@mfa/queue';
import type { DeliverCodeCommand } from './deliver-code.command';
import type { DeliveredMarker } from './delivered-marker.repository';
import { renderCodeSms } from './messages/code-sms';
import { renderCodeVoiceScript } from './messages/code-voice-script';
import { diagnosticsOf, type ProviderReceipt } from './providers/provider-receipt';
import type { SmsProvider } from './providers/sms.provider';
import { providerOutcome } from './providers/twilio/twilio-error-classification';
import type { VoiceProvider } from './providers/voice.provider';

export const EXPIRED_REASON = 'code expired before it could be delivered';
export const RETRIES_EXHAUSTED_REASON = 'provider unavailable after retries';
/** Provider label of failures that happen before any provider is involved. */
const WORKER_PROVIDER = 'telephony';

export type DeliveryOutcome = 'sent' | 'already-delivered' | 'expired';

export interface DeliverCodeDependencies {
  keyring: Pick<Keyring, 'decryptText'>;
  marker: DeliveredMarker;
  events: Pick<JobProducer, 'add'>;
  sms: SmsProvider;
  voice: VoiceProvider;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
  now?: () => number;
}

/**
 * Delivers one code by SMS or voice call: open the sealed content → give up if the challenge has
 * expired → skip if already delivered → call the provider → mark delivered → report
 * `delivery.sent`. Provider errors propagate (classified) so BullMQ retries or fails the job;
 * `reportFinalFailure` reports the end of the road.
 *
 * Neither the code nor the full number ever reaches a log line, an error or an event.
 */
export class DeliverCodeUseCase {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly deps: DeliverCodeDependencies) {
    this.logger = deps.logger.child({ component: 'DeliverCodeUseCase' });
    this.now = deps.now ?? Date.now;
  }

  async execute(command: DeliverCodeCommand): Promise<DeliveryOutcome> {
    const { job } = command;
    const provider = this.providerName(job.channel);
    const log = { challengeId: job.challengeId, jobId: command.jobId, channel: job.channel, provider, attempt: command.attempt };
    const content = this.open(job, log);
    const secondsLeft = Math.floor((command.expiresAt - this.now()) / 1000);

    if (secondsLeft <= 0) {
      this.logger.warn(log, 'code expired before delivery; nothing sent');
      await this.reportFailed(job.challengeId, provider, EXPIRED_REASON, true);
      return 'expired';
    }

    const earlier = await this.deps.marker.find(job.challengeId);
    if (earlier !== undefined) {
      // A rerun after the provider accepted (crash, stall, failed report): report, send nothing.
      this.logger.info(log, 'already delivered; nothing sent again');
      await this.reportSent(job.challengeId, provider, earlier);
      return 'already-delivered';
    }

    const maskedTo = maskPhoneNumber(content.to);
    let receipt: ProviderReceipt;
    try {
      receipt = await this.deps.metrics.measureProvider(provider, () => this.send(job, content, secondsLeft), providerOutcome);
    } catch (error) {
      this.logFailure({ ...log, maskedTo }, error);
      throw error;
    }
    await this.deps.marker.mark(job.challengeId, receipt.providerRef, job.ttlSeconds);
    await this.reportSent(job.challengeId, provider, receipt.providerRef);
    this.logger.info({ ...log, maskedTo, providerRef: receipt.providerRef }, 'code delivered to the provider');
    return 'sent';
  }

  /** Reports a job that will not run again: a permanent error, or the last retry spent. */
  async reportFinalFailure(job: DeliveryJob, error: Error): Promise<void> {
    if (error instanceof PermanentProviderError) {
      await this.reportFailed(job.challengeId, error.provider, error.reason, true);
    } else {
      const provider = error instanceof RetryableProviderError ? error.provider : this.providerName(job.channel);
      this.logger.error({ challengeId: job.challengeId, channel: job.channel, provider }, 'delivery failed: retries exhausted');
      await this.reportFailed(job.challengeId, provider, RETRIES_EXHAUSTED_REASON, false);
    }
  }

  private send(job: DeliveryJob, content: DeliveryContent, secondsLeft: number): Promise<ProviderReceipt> {
    const { issuer, purpose, locale } = job;
    switch (job.channel) {
      case 'sms':
        return this.deps.sms.send({ to: content.to, body: renderCodeSms({ issuer, purpose, locale, code: content.code, secondsLeft }) });
      case 'voice':
        return this.deps.voice.call({ to: content.to, script: renderCodeVoiceScript({ issuer, purpose, locale, code: content.code }) });
      case 'email':
        throw new PermanentProviderError('e-mail is not delivered by the telephony worker', WORKER_PROVIDER);
    }
  }

  private providerName(channel: OutOfBandChannel): string {
    if (channel === 'sms') return this.deps.sms.name;
    if (channel === 'voice') return this.deps.voice.name;
    return WORKER_PROVIDER;
  }

  /** The sealed `{to, code}`; one that does not open never will, so that is a permanent failure. */
  private open(job: DeliveryJob, log: object): DeliveryContent {
    let content: unknown;
    try {
      content = JSON.parse(this.deps.keyring.decryptText(job.sealed, sealedDeliveryAad(job.challengeId)));
    } catch (error) {
      // Keyring messages name key ids at most; the plaintext never gets here.
      this.logger.error({ ...log, err: { name: (error as Error).name, message: (error as Error).message } }, 'sealed delivery does not open');
      throw new PermanentProviderError('the delivery could not be decrypted', WORKER_PROVIDER);
    }
    const { to, code } = (content ?? {}) as Partial<DeliveryContent>;
    if (typeof to !== 'string' || typeof code !== 'string' || !/^\d{4,10}$/.test(code)) {
      this.logger.error(log, 'sealed delivery holds no number and code');
      throw new PermanentProviderError('the delivery content is malformed', WORKER_PROVIDER);
    }
    return { to, code };
  }

  private logFailure(log: object, error: unknown): void {
    const diagnostics = diagnosticsOf(error);
    if (error instanceof PermanentProviderError) {
      // Operators act on these (credentials, sender number, geo permissions): error level.
      this.logger.error({ ...log, ...diagnostics, reason: error.reason }, 'delivery failed permanently');
    } else if (error instanceof RetryableProviderError) {
      this.logger.warn({ ...log, ...diagnostics, retryAfterMs: error.retryAfterMs, problem: error.message }, 'delivery failed; will retry');
    } else {
      this.logger.warn({ ...log, err: (error as Error | undefined)?.name }, 'delivery failed unexpectedly; will retry');
    }
  }

  private reportSent(challengeId: string, provider: string, providerRef: string): Promise<void> {
    return reportDeliverySent(this.deps.events, provider, challengeId, providerRef);
  }

  private reportFailed(challengeId: string, provider: string, reason: string, permanent: boolean): Promise<void> {
    return this.deps.events.add(QueueName.Events, JobIds.failed(challengeId), { v: 1, type: 'delivery.failed', challengeId, provider, reason, permanent });
  }
}
