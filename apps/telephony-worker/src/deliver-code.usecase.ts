import type { Keyring } from '@mfa/crypto';
import { maskPhoneNumber } from '@mfa/domain';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import { type DeliveryContent, type DeliveryJob, JobIds, type JobProducer, type OutOfBandChannel, PermanentProviderError, QueueName, reportDeliverySent, RetryableProviderError, sealedDeliveryAad } from '@mfa/queue';
import type { DeliverCodeCommand } from './deliver-code.command';
import type { DeliveredMarker, SendAttempt, SendAttempts } from './delivered-marker.repository';
import { renderCodeSms } from './messages/code-sms';
import { renderCodeVoiceScript } from './messages/code-voice-script';
import { diagnosticsOf, type ProviderReceipt } from './providers/provider-receipt';
import type { SmsProvider } from './providers/sms.provider';
import { isOutcomeUnknown, providerOutcome } from './providers/twilio/twilio-error-classification';
import type { VoiceProvider } from './providers/voice.provider';

export const EXPIRED_REASON = 'code expired before it could be delivered';
export const RETRIES_EXHAUSTED_REASON = 'provider unavailable after retries';
/**
 * Provider requests with a lost answer after which a rerun still sends again when the provider
 * lookup finds nothing (its lists lag a little); past this it only keeps looking, so a slow
 * provider costs the user at most this many copies.
 */
export const MAX_UNCONFIRMED_SENDS = 2;
/**
 * Past the cap, how long after the latest request the provider's lists are trusted to show it:
 * still nothing there then means the requests never reached the provider (a reset before it, a
 * worker killed before sending), and the code is sent again rather than never.
 */
export const UNCONFIRMED_SETTLE_MS = 60_000;
/** The provider's clock and second-precision `date_created` against ours. */
const LOOKUP_CLOCK_SLACK_MS = 5_000;
/** Provider label of failures that happen before any provider is involved. */
const WORKER_PROVIDER = 'telephony';

export type DeliveryOutcome = 'sent' | 'already-delivered' | 'expired' | 'withdrawn';

export interface DeliverCodeDependencies {
  keyring: Pick<Keyring, 'decryptText'>;
  marker: DeliveredMarker;
  attempts: SendAttempts;
  events: Pick<JobProducer, 'add'>;
  sms: SmsProvider;
  voice: VoiceProvider;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
  now?: () => number;
}

/**
 * Delivers one code by SMS or voice call: open the sealed content → skip if already delivered →
 * give up if the challenge has expired → after an earlier request with a lost answer, ask the
 * provider whether it took it → send nothing if the gateway marked the challenge ended → record
 * the attempt → call the provider → mark delivered → report `delivery.sent`. Provider errors propagate (classified) so BullMQ retries or fails the job;
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

    const { delivered: earlier, ended } = await this.deps.marker.lookup(job.challengeId);
    if (earlier !== undefined) {
      // A rerun after the provider accepted (crash, stall, failed report): report, send nothing.
      this.logger.info(log, 'already delivered; nothing sent again');
      await this.reportSent(job.challengeId, provider, earlier);
      return 'already-delivered';
    }
    // A challenge that ended another way did not fail its delivery: it is withdrawn, below.
    if (secondsLeft <= 0 && !ended) {
      this.logger.warn(log, 'code expired before delivery; nothing sent');
      await this.reportFailed(job.challengeId, provider, EXPIRED_REASON, true);
      return 'expired';
    }

    const maskedTo = maskPhoneNumber(content.to);
    const attempt = await this.deps.attempts.find(job.challengeId);
    if (attempt !== undefined && attempt.unconfirmed > 0) {
      // An earlier request timed out, or its worker died: Twilio may have sent it. Sending
      // blindly is what gave users ten copies of one code. Asked for an ended challenge too, so
      // a code that did go out is reported as sent.
      const found = await this.findEarlier(job, content, attempt, { ...log, maskedTo });
      if (found !== undefined) {
        await this.deps.marker.mark(job.challengeId, found.providerRef, job.ttlSeconds);
        await this.reportSent(job.challengeId, provider, found.providerRef);
        this.logger.info({ ...log, maskedTo, providerRef: found.providerRef }, 'an earlier request reached the provider; nothing sent again');
        return 'already-delivered';
      }
      if (!ended && attempt.unconfirmed >= MAX_UNCONFIRMED_SENDS && this.now() - attempt.lastAt < UNCONFIRMED_SETTLE_MS) {
        this.logger.warn({ ...log, maskedTo, unconfirmed: attempt.unconfirmed }, 'earlier requests not found at the provider yet; looking again later');
        throw new RetryableProviderError('earlier requests are not confirmed by the provider', provider);
      }
    }
    if (ended) {
      // Cancelled (or its factor deleted) after the otp worker drew the code: nobody can use it.
      // Nothing to report: the gateway's delivery relay settles the delivery as not required.
      this.logger.info(log, 'challenge ended before its code went out; nothing sent');
      return 'withdrawn';
    }

    await this.deps.attempts.begin(job.challengeId, this.now(), job.ttlSeconds);
    let receipt: ProviderReceipt;
    try {
      receipt = await this.deps.metrics.measureProvider(provider, () => this.send(job, content, secondsLeft), providerOutcome);
    } catch (error) {
      this.logFailure({ ...log, maskedTo }, error);
      // Refused, throttled or never connected: nothing to look up on the next try.
      if (!isOutcomeUnknown(error)) await this.releaseAttempt(job, log);
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

  /** The earlier message or call at the provider; a failed lookup propagates (retryable), so nothing is sent blind. */
  private async findEarlier(job: DeliveryJob, content: DeliveryContent, attempt: SendAttempt, log: object): Promise<ProviderReceipt | undefined> {
    const since = new Date(attempt.firstAt - LOOKUP_CLOCK_SLACK_MS);
    try {
      if (job.channel === 'sms') return await this.deps.sms.findSent({ to: content.to, since, containing: content.code });
      if (job.channel === 'voice') return await this.deps.voice.findPlaced({ to: content.to, since });
      return undefined;
    } catch (error) {
      this.logger.warn({ ...log, ...diagnosticsOf(error), problem: (error as Error).message }, 'could not look up earlier requests; will retry');
      throw error;
    }
  }

  private async releaseAttempt(job: DeliveryJob, log: object): Promise<void> {
    try {
      await this.deps.attempts.release(job.challengeId, job.ttlSeconds);
    } catch (error) {
      // Harmless: the next try only looks up before sending.
      this.logger.warn({ ...log, err: (error as Error).name }, 'could not release the attempt record');
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
