import { Inject, Injectable } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import { DomainError, DomainErrorCode, type OutOfBandFactorType } from '@mfa/domain';
import { factorDestinationAad, factorPushTokenAad, type ChallengeEntity, type FactorEntity } from '@mfa/persistence';
import {
  challengeEndedKey,
  deliveredMarkerKey,
  duoTxidKey,
  JobIds,
  JobProducer,
  otpCodeKey,
  QueueName,
  sealedDestinationAad,
  sealedDuoUsernameAad,
  sealedPushTokenAad,
  type JobOf,
  type OutOfBandChannel,
  type ProducedQueue,
  type RedisConnection,
} from '@mfa/queue';
import { isIP } from 'node:net';
import type { ChallengeContextRecord } from '@mfa/persistence';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import type { Logger } from '@mfa/observability';
import { Clock } from './clock';
import { LOGGER } from './logger.provider';
import { REDIS } from './redis.provider';

const CHANNEL: Record<OutOfBandFactorType, OutOfBandChannel> = { SMS: 'sms', VOICE: 'voice', EMAIL: 'email' };
const ENDED_MARK_MARGIN_S = 60;

/**
 * Adding a delivery job failed on Redis's side (unreachable, or slower than the command timeout).
 * The outcome is unknown: the add may still have landed, so the job may run; the caller sees UNAVAILABLE.
 */
export class DeliveryQueueUnavailableError extends DomainError {
  constructor(readonly queueError: unknown) {
    super(DomainErrorCode.Unavailable, 'the delivery queue is unavailable, retry later');
  }
}

/** The queue and job id a challenge's delivery goes out under; the id makes adding it again a no-op. */
function deliveryJob(challenge: ChallengeEntity): { queue: ProducedQueue; jobId: string } {
  if (challenge.type === 'PUSH') return { queue: QueueName.Push, jobId: JobIds.push(challenge.id) };
  if (challenge.type === 'DUO') return { queue: QueueName.Duo, jobId: JobIds.duoAuth(challenge.id) };
  return { queue: QueueName.Otp, jobId: JobIds.otp(challenge.id) };
}

/** For a code (SMS, voice, e-mail): the job that sends it, which the otp job adds once it drew the code. */
function codeJob(challenge: ChallengeEntity): { queue: ProducedQueue; jobId: string } | undefined {
  if (challenge.type === 'SMS' || challenge.type === 'VOICE') return { queue: QueueName.Telephony, jobId: JobIds.delivery(challenge.id) };
  if (challenge.type === 'EMAIL') return { queue: QueueName.Email, jobId: JobIds.delivery(challenge.id) };
  return undefined;
}

/** Every job a challenge's delivery goes through: its own, and for a code the one that sends it. */
function deliveryJobs(challenge: ChallengeEntity): { queue: ProducedQueue; jobId: string }[] {
  const sender = codeJob(challenge);
  return sender ? [deliveryJob(challenge), sender] : [deliveryJob(challenge)];
}

/** The reports a worker may have left on `events` about a challenge's delivery, applied or on their way. */
const REPORT_IDS = [JobIds.sent, JobIds.failed, JobIds.duoResult, JobIds.tokenInvalid];

/** BullMQ states of a job that has yet to run or is running: an otp job in one may still draw a code. */
const UNFINISHED_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Hands a challenge to the worker that delivers it: out-of-band ones to the otp worker, push ones
 * to the push worker; whatever the job needs in secret (address, FCM token) is sealed for it.
 */
@Injectable()
export class OutOfBandDispatcher {
  constructor(
    private readonly producer: JobProducer,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    // Fail-fast: withdrawal follows a committed answer, which must not wait out a Redis outage.
    @Inject(REDIS) private readonly redis: RedisConnection,
  ) {}

  /**
   * Whether this challenge's delivery is under way or done: its job is in its queue (waiting,
   * running, retrying or finished), or for a code, the job that delivers it, or the mark the
   * delivering worker leaves once the provider accepted it (finished jobs are trimmed in time).
   * A Duo txid does not count: a push whose job is lost is queued again and resumes it.
   */
  async isQueued(challenge: ChallengeEntity): Promise<boolean> {
    const keys = deliveryJobs(challenge).map(({ queue, jobId }) => this.producer.jobKey(queue, jobId));
    return this.producer.anyExists([...keys, deliveredMarkerKey(this.config.queuePrefix, challenge.id)]);
  }

  /** The mark that the delivery has gone out: the provider accepted the code, or for Duo, the txid the duo worker keeps once Duo took the push. */
  private goneOutKey(challenge: ChallengeEntity): string {
    const prefix = this.config.queuePrefix;
    return challenge.type === 'DUO' ? duoTxidKey(prefix, challenge.id) : deliveredMarkerKey(prefix, challenge.id);
  }

  /**
   * After challenges ended before their delivery mattered: takes back their jobs no worker has
   * picked up yet, so no code or push goes out for a challenge nobody can answer any more. A job
   * running now, or one whose delivery has gone out already (a Duo push waiting to resume its
   * polling), is left to finish and report. A Duo or code challenge is first marked ended
   * (`challengeEndedKey`), so a worker that holds its job, or runs it again later, sends nothing:
   * the duo worker reports the push withdrawn, the otp worker draws no code. Returns the challenges
   * with nothing of their delivery left in flight. Best effort: the challenge's end stands whether
   * or not Redis answers now (the delivery relay settles what is left over).
   */
  async withdraw(challenges: ChallengeEntity[]): Promise<ChallengeEntity[]> {
    const queued = challenges.filter((c) => c.delivery === 'QUEUED');
    try {
      // Outlives the worker's copy of the deadline (the job's ttlSeconds was rounded up at dispatch).
      const marked = queued.filter((c) => c.type !== 'PUSH');
      await Promise.all(marked.map((c) => this.redis.set(challengeEndedKey(this.config.queuePrefix, c.id), '1', 'EX', this.ttlSeconds(c) + ENDED_MARK_MARGIN_S)));
      const goneOut = await Promise.all(queued.map((c) => this.producer.anyExists([this.goneOutKey(c)])));
      const unsent = queued.filter((_, i) => !goneOut[i]);
      const settled = await Promise.all(unsent.map((c) => this.takeBack(c)));
      return unsent.filter((_, i) => settled[i]);
    } catch (error) {
      this.logger.warn({ challengeIds: queued.map((c) => c.id), err: error }, 'could not withdraw the delivery jobs of ended challenges');
      return [];
    }
  }

  /** Removes what no worker holds of a marked challenge's delivery; true when nothing of it is left in flight. */
  private async takeBack(challenge: ChallengeEntity): Promise<boolean> {
    const jobs = deliveryJobs(challenge);
    const removed = await Promise.all(jobs.map(({ queue, jobId }) => this.producer.remove(queue, jobId)));
    const sender = codeJob(challenge);
    if (!sender) return !(await this.isQueued(challenge));
    // A code. Its otp job first: once that is gone, the job it added (if it added one) is there to see.
    const issuing = await this.producer.exists(QueueName.Otp, JobIds.otp(challenge.id));
    if (await this.producer.anyExists([this.producer.jobKey(sender.queue, sender.jobId), deliveredMarkerKey(this.config.queuePrefix, challenge.id)])) return false;
    if (!issuing) return true;
    // A worker holds the otp job (a held job cannot be removed). If it had added the job sending its
    // code, just taken back, nothing more comes of it: a rerun finds the ended mark. If it has drawn
    // no code yet, it will find the mark and draw none. If it drew one before the mark and has not
    // added the job sending it yet, that job is on its way: its worker finds the mark and sends
    // nothing, and the delivery relay settles the delivery then.
    if (removed[1]) return true;
    return !(await this.producer.anyExists([otpCodeKey(this.config.queuePrefix, challenge.id)]));
  }

  /**
   * For a challenge that ended a while ago with its delivery still QUEUED: whether anything may
   * still deliver it or report on it: an otp job, a job that sends the delivery or a report on
   * `events` that has yet to run or is running, or the delivered mark (something went out). A job
   * that finished, or failed for good, will not report again. False means nothing will ever
   * report: the delivery relay then settles it as not required.
   */
  async deliveryOutstanding(challenge: ChallengeEntity): Promise<boolean> {
    const sender = codeJob(challenge);
    // The otp job first: once it has finished, the job it added is there for the check below to see.
    if (sender && (await this.unfinished(QueueName.Otp, JobIds.otp(challenge.id)))) return true;
    const { queue, jobId } = sender ?? deliveryJob(challenge);
    const running = await Promise.all([this.unfinished(queue, jobId), ...REPORT_IDS.map((id) => this.unfinished(QueueName.Events, id(challenge.id)))]);
    return running.some(Boolean) || this.producer.anyExists([deliveredMarkerKey(this.config.queuePrefix, challenge.id)]);
  }

  private async unfinished(queue: ProducedQueue, jobId: string): Promise<boolean> {
    return UNFINISHED_STATES.has(await this.producer.queue(queue).getJobState(jobId));
  }

  /** What is left of the challenge's lifetime, for the job: a job queued late must not outlive it. */
  private ttlSeconds(challenge: ChallengeEntity): number {
    return Math.max(1, Math.ceil((challenge.expiresAt - this.clock.now()) / 1000));
  }

  /** Queues the challenge's delivery job; false when there is nothing to send it to (a push device without a token polls). */
  async dispatch(challenge: ChallengeEntity, factor: FactorEntity): Promise<boolean> {
    if (factor.type === 'PUSH') return this.dispatchPush(challenge, factor);
    if (factor.type === 'DUO') return this.dispatchDuo(challenge, factor);
    if (!factor.destinationEnc || challenge.codeLength === null) throw new Error(`factor ${factor.id} has no destination`);
    const destination = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    return this.enqueue(QueueName.Otp, challenge, {
      v: 1,
      challengeId: challenge.id,
      tenantId: challenge.tenantId,
      channel: CHANNEL[factor.type as OutOfBandFactorType],
      sealedDestination: this.keyring.encrypt(destination, sealedDestinationAad(challenge.id)),
      codeLength: challenge.codeLength,
      ttlSeconds: this.ttlSeconds(challenge),
      locale: challenge.locale,
      purpose: challenge.purpose,
      issuer: this.config.issuer,
    });
  }

  private async dispatchPush(challenge: ChallengeEntity, factor: FactorEntity): Promise<boolean> {
    if (!factor.pushTokenEnc) return false;
    const token = this.keyring.decryptText(factor.pushTokenEnc, factorPushTokenAad(factor.id));
    return this.enqueue(QueueName.Push, challenge, {
      v: 1,
      challengeId: challenge.id,
      factorId: factor.id,
      sealedToken: this.keyring.encrypt(token, sealedPushTokenAad(challenge.id)),
      ttlSeconds: this.ttlSeconds(challenge),
    });
  }

  /** Duo Push (or a call where push is not possible: Duo's `auto`), with the login context shown in the Duo app. */
  private async dispatchDuo(challenge: ChallengeEntity, factor: FactorEntity): Promise<boolean> {
    if (!factor.destinationEnc) throw new Error(`factor ${factor.id} has no Duo username`);
    const username = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    const context = challenge.context ? (JSON.parse(challenge.context) as ChallengeContextRecord) : { ip: '', application: '', action: '', location: '', userAgent: '' };
    return this.enqueue(QueueName.Duo, challenge, {
      v: 1,
      kind: 'auth',
      challengeId: challenge.id,
      factorId: factor.id,
      sealedUsername: this.keyring.encrypt(username, sealedDuoUsernameAad(factor.id)),
      factor: 'auto',
      ...(isIP(context.ip) ? { ipaddr: context.ip } : {}),
      pushInfo: { application: context.application, ip: context.ip, action: context.action, location: context.location },
      ttlSeconds: this.ttlSeconds(challenge),
    });
  }

  /**
   * Adds the challenge's job under its delivery job id; a queue that cannot take it is UNAVAILABLE
   * to the caller (`DeliveryQueueUnavailableError`: the add may have landed all the same).
   */
  private async enqueue<Q extends ProducedQueue>(queue: Q, challenge: ChallengeEntity, payload: JobOf[Q]): Promise<true> {
    try {
      await this.producer.add(queue, deliveryJob(challenge).jobId, payload);
      return true;
    } catch (error) {
      throw new DeliveryQueueUnavailableError(error);
    }
  }
}
