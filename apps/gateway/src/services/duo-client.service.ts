import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QueueEvents, type Job } from 'bullmq';
import { Keyring, newId } from '@mfa/crypto';
import { DomainError, DomainErrorCode } from '@mfa/domain';
import {
  duplicateConnection,
  JobProducer,
  parseDuoPreauthResult,
  QueueName,
  sealedDuoEnrollUrlAad,
  sealedDuoPasscodeAad,
  sealedDuoUsernameAad,
  type DuoPasscodeResult,
  type DuoPreauthOutcome,
  type RedisConnection,
} from '@mfa/queue';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { BULL_CONNECTION } from './redis.provider';

/** How long an enrollment or passcode check may wait for the duo worker and Duo. */
export const DUO_ANSWER_TIMEOUT_MS = 15_000;

const unavailable = (): DomainError => new DomainError(DomainErrorCode.Unavailable, 'Duo could not be reached, retry later');

/** Duo's preauth answer, opened for this request. */
export interface DuoPreauthAnswer {
  result: DuoPreauthOutcome;
  statusMessage: string;
  /** `enroll` only: Duo's enrollment portal, a bearer link; sealed again before it is stored. */
  enrollPortalUrl: string | null;
}

/**
 * The gateway's side of the duo queue. Preauth and passcode checks are questions with an
 * answer the caller waits for: the job's return value, awaited through BullMQ's queue events.
 * The username travels sealed, bound to the factor; the enrollment portal URL comes back
 * sealed, bound to the factor and the job.
 */
@Injectable()
export class DuoClient implements OnApplicationShutdown {
  private events: QueueEvents | undefined;
  private eventsConnection: RedisConnection | undefined;

  constructor(
    private readonly producer: JobProducer,
    private readonly keyring: Keyring,
    @Inject(BULL_CONNECTION) private readonly connection: RedisConnection,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  sealUsername(factorId: string, username: string): string {
    return this.keyring.encrypt(username, sealedDuoUsernameAad(factorId));
  }

  /** An answer that does not validate, or a portal URL that does not open, rejects (INTERNAL): a worker out of step, not Duo. */
  async preauth(factorId: string, username: string): Promise<DuoPreauthAnswer> {
    const jobId = `${factorId}.preauth.${newId('q')}`;
    const { answer, job } = await this.ask(jobId, { v: 1, kind: 'preauth', factorId, sealedUsername: this.sealUsername(factorId, username) });
    const result = parseDuoPreauthResult(answer);
    if (!('v' in result)) {
      // A worker from before sealed answers, still draining in a rolling deploy: its answer holds
      // the URL in clear, so it leaves Redis now rather than when completed jobs expire.
      if (result.enrollPortalUrl !== undefined) await job.remove().catch(() => undefined);
      return { result: result.result, statusMessage: result.statusMessage, enrollPortalUrl: result.enrollPortalUrl ?? null };
    }
    const sealed = result.sealedEnrollPortalUrl;
    return {
      result: result.result,
      statusMessage: result.statusMessage,
      enrollPortalUrl: sealed === undefined ? null : this.keyring.decryptText(sealed, sealedDuoEnrollUrlAad(factorId, jobId)),
    };
  }

  async passcode(challengeId: string, factorId: string, username: string, passcode: string): Promise<DuoPasscodeResult> {
    const { answer } = await this.ask(`${challengeId}.passcode.${newId('q')}`, {
      v: 1,
      kind: 'passcode',
      challengeId,
      factorId,
      sealedUsername: this.sealUsername(factorId, username),
      sealedPasscode: this.keyring.encrypt(passcode, sealedDuoPasscodeAad(challengeId)),
    });
    return answer as DuoPasscodeResult;
  }

  private async ask(jobId: string, payload: Parameters<JobProducer['add']>[2] & { kind: string }): Promise<{ answer: unknown; job: Job }> {
    const events = await this.queueEvents();
    let job;
    try {
      // One retry at most: the caller stops waiting after DUO_ANSWER_TIMEOUT_MS anyway.
      await this.producer.add(QueueName.Duo, jobId, payload as never, { attempts: 2 });
      job = await this.producer.queue(QueueName.Duo).getJob(jobId);
    } catch {
      throw unavailable();
    }
    if (!job) throw unavailable();
    try {
      return { answer: await job.waitUntilFinished(events, DUO_ANSWER_TIMEOUT_MS), job };
    } catch {
      // No answer in time: take the question back so no worker answers it later for nobody.
      await job.remove().catch(() => undefined);
      throw unavailable();
    }
  }

  private async queueEvents(): Promise<QueueEvents> {
    if (!this.events) {
      // QueueEvents blocks on its connection: it gets one of its own, closed on shutdown.
      this.eventsConnection = duplicateConnection(this.connection);
      this.events = new QueueEvents(QueueName.Duo, { connection: this.eventsConnection, prefix: this.config.queuePrefix });
      this.events.on('error', () => undefined);
      await this.events.waitUntilReady();
    }
    return this.events;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.events || !this.eventsConnection) return;
    const closing = this.events.close();
    // Closing ends with a QUIT, which waits for Redis: while it is down or reconnecting that wait
    // has no end (and ioredis parks a connection dropped mid-reconnect for good). The gRPC server
    // has stopped by now, so no call waits for an answer: the connection is dropped instead.
    if (this.eventsConnection.status === 'ready') await closing;
    else closing.catch(() => undefined);
    this.eventsConnection.disconnect();
  }
}
