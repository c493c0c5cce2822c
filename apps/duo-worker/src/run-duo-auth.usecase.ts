import { setTimeout as delay } from 'node:timers/promises';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import { JobDeferred, JobIds, PermanentProviderError, QueueName, type DuoResultEvent, type JobProducer, JobInterrupted } from '@mfa/queue';
import { authDeferMs, AuthShare } from './auth-share';
import { withoutUsername } from './check-duo-passcode.usecase';
import type { DuoSecrets } from './duo-secrets';
import type { DuoTxidRepository } from './duo-txid.repository';
import { logProviderFailure } from './provider-failure-log';
import type { DuoProvider } from './providers/duo.provider';
import { providerOutcome } from './providers/duo/duo-error-classification';
import type { AuthJob, RunDuoAuthCommand } from './run-duo-auth.command';

export const TIMEOUT_REASON = 'no answer in Duo before the challenge expired';
export const UNAVAILABLE_REASON = 'Duo is unavailable';
export const NOT_SENT_REASON = 'the challenge expired before a duo worker could send the push';
export const WITHDRAWN_REASON = 'the challenge ended before its push went out';
export const ENDED_REASON = 'the challenge ended another way before Duo answered';
/** How often a push being followed looks for the gateway's mark that its challenge ended (a passcode, a cancel). */
export const ENDED_CHECK_MS = 5_000;
/** Between two auth_status calls that Duo answered at once. */
export const POLL_INTERVAL_MS = 1_500;
/** Duo holds auth_status up to about a minute while nothing changes; a little more than that. */
export const LONG_POLL_TIMEOUT_MS = 70_000;
const MIN_POLL_TIMEOUT_MS = 1_000;

export type DuoAuthOutcome = DuoResultEvent['result'];

/** Polling stopped because the worker is closing: the job goes back to the queue for another to resume. */
export class DuoPollingInterrupted extends JobInterrupted {
  override name = 'DuoPollingInterrupted';
}

export interface RunDuoAuthDependencies {
  secrets: DuoSecrets;
  duo: DuoProvider;
  txids: DuoTxidRepository;
  events: Pick<JobProducer, 'add'>;
  metrics: Pick<WorkerMetrics, 'measureProvider'>;
  logger: Logger;
  /** The slots of the worker its auths may hold; without one, every push starts at once. */
  share?: Pick<AuthShare, 'tryTake' | 'release'>;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  pollIntervalMs?: number;
  endedCheckMs?: number;
}

/**
 * StartChallenge on a Duo factor: start a Duo Push / phone call with `async=1`, remember its
 * txid, then follow `auth_status` until the user answers or the challenge expires, and report
 * `duo.result`. A rerun (retry, stall, drain) finds the txid and resumes polling: the user
 * never gets a second push for one challenge; a challenge the gateway marked ended gets none,
 * and a push it is following is let go once that mark appears (reported `timeout`: sent, unanswered).
 * Provider errors propagate (classified) so BullMQ retries; `reportFinalFailure` reports `error`
 * so the challenge never hangs PENDING.
 */
export class RunDuoAuthUseCase {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly pollIntervalMs: number;
  private readonly endedCheckMs: number;
  private readonly share: Pick<AuthShare, 'tryTake' | 'release'>;

  constructor(private readonly deps: RunDuoAuthDependencies) {
    this.logger = deps.logger.child({ component: 'RunDuoAuthUseCase' });
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined));
    this.pollIntervalMs = deps.pollIntervalMs ?? POLL_INTERVAL_MS;
    this.endedCheckMs = deps.endedCheckMs ?? ENDED_CHECK_MS;
    this.share = deps.share ?? new AuthShare(Number.POSITIVE_INFINITY);
  }

  async execute(command: RunDuoAuthCommand): Promise<DuoAuthOutcome> {
    const { job } = command;
    const log = { challengeId: job.challengeId, factorId: job.factorId, jobId: command.jobId, factor: job.factor, attempt: command.attempt };
    const stored = await this.deps.txids.find(job.challengeId);
    let txid = stored.txid;
    if (txid === undefined && stored.ended) {
      // Ended by a cancel or a passcode while a worker held this job, so the gateway could not take it back.
      this.logger.info(log, 'challenge ended before its Duo push went out; none sent');
      return this.report(job.challengeId, 'withdrawn', WITHDRAWN_REASON);
    }
    if (stored.ended) {
      // The push is on the phone, but the challenge ended without it: nothing is left to hear.
      this.logger.info(log, 'challenge ended another way; its Duo push is no longer followed');
      return this.report(job.challengeId, 'timeout', ENDED_REASON);
    }

    if (this.now() >= command.expiresAt) {
      // Past its lifetime without a txid, no push went out: not a user who did not answer, but an
      // outage (earlier attempts failed) or a job no worker got to in time (a backlog, the share taken).
      if (txid === undefined) {
        this.logger.warn(log, 'challenge expired before its Duo push went out');
        return this.report(job.challengeId, 'error', command.attempt > 1 ? UNAVAILABLE_REASON : NOT_SENT_REASON);
      }
      this.logger.info(log, 'challenge expired before Duo answered');
      return this.report(job.challengeId, 'timeout', TIMEOUT_REASON);
    }

    const username = this.deps.secrets.username(job.sealedUsername, job.factorId, log);
    if (txid === undefined && command.stop.aborted) throw new DuoPollingInterrupted('worker draining');
    // A push resumed from its txid waits its turn too: Duo keeps it, and its answer is read once a
    // slot is free, so pushes handed back by a draining worker do not take the slots kept for questions.
    if (!this.share.tryTake()) {
      this.logger.debug(log, 'every auth slot of the share is taken: the auth waits its turn');
      throw new JobDeferred(authDeferMs());
    }
    if (txid !== undefined) this.logger.info(log, 'resuming the Duo transaction of an earlier run; nothing sent again');
    try {
      if (txid === undefined) {
        const started = await this.call(log, 'Duo auth', () => this.deps.duo.startAuth({ username, factor: job.factor, ipaddr: job.ipaddr, pushInfo: job.pushInfo }));
        txid = started.txid;
        await this.deps.txids.save(job.challengeId, txid, (command.expiresAt - this.now()) / 1000);
        this.logger.info(log, 'Duo auth started');
      }
      return await this.poll(command, txid, username, log);
    } finally {
      this.share.release();
    }
  }

  /** Reports a job that will not run again: a permanent error, or the last retry spent. */
  async reportFinalFailure(job: AuthJob, error: Error): Promise<void> {
    const reason = error instanceof PermanentProviderError ? error.reason : UNAVAILABLE_REASON;
    this.logger.error({ challengeId: job.challengeId, factorId: job.factorId, reason }, 'Duo auth failed for good');
    await this.report(job.challengeId, 'error', reason);
  }

  private async poll(command: RunDuoAuthCommand, txid: string, username: string, log: object): Promise<DuoAuthOutcome> {
    const ended = this.watchEnded(command.job.challengeId);
    try {
      return await this.follow(command, txid, username, log, ended.signal);
    } finally {
      ended.stop();
    }
  }

  /**
   * Aborts once the gateway marks the challenge ended (a passcode or a cancel ended it while Duo
   * holds the long poll): the slot goes back then, not when Duo gives up on the push a minute later.
   */
  private watchEnded(challengeId: string): { signal: AbortSignal; stop(): void } {
    const ended = new AbortController();
    let asking = false; // one question at a time: during a Redis outage they would pile up
    const timer = setInterval(() => {
      if (asking) return;
      asking = true;
      this.deps.txids
        .find(challengeId)
        .then((stored) => stored.ended && ended.abort(), () => undefined) // unanswered: the next check asks again
        .finally(() => (asking = false));
    }, this.endedCheckMs);
    timer.unref();
    return { signal: ended.signal, stop: () => clearInterval(timer) };
  }

  private async follow(command: RunDuoAuthCommand, txid: string, username: string, log: object, ended: AbortSignal): Promise<DuoAuthOutcome> {
    const { job, stop } = command;
    const stopOrEnded = AbortSignal.any([stop, ended]);
    const reportEnded = (polls: number): Promise<DuoAuthOutcome> => {
      this.logger.info({ ...log, polls }, 'challenge ended another way while waiting for the user in Duo');
      return this.report(job.challengeId, 'timeout', ENDED_REASON);
    };
    for (let polls = 1; ; polls++) {
      if (ended.aborted) return reportEnded(polls - 1);
      const left = command.expiresAt - this.now();
      if (left <= 0) {
        this.logger.info({ ...log, polls }, 'challenge expired while waiting for the user in Duo');
        return this.report(job.challengeId, 'timeout', TIMEOUT_REASON);
      }
      if (stop.aborted) throw new DuoPollingInterrupted('worker draining');
      const started = this.now();
      let state;
      try {
        const timeoutMs = Math.min(LONG_POLL_TIMEOUT_MS, Math.max(left, MIN_POLL_TIMEOUT_MS));
        state = await this.deps.metrics.measureProvider(this.deps.duo.name, () => this.deps.duo.authStatus(txid, timeoutMs, stopOrEnded), providerOutcome, stopOrEnded);
      } catch (error) {
        if (ended.aborted) return reportEnded(polls);
        if (stop.aborted) throw new DuoPollingInterrupted('worker draining');
        if (this.now() >= command.expiresAt) continue; // the long poll ran into the deadline: a timeout, reported above
        logProviderFailure(this.logger, { ...log, polls }, error, 'Duo auth_status');
        throw error;
      }
      if (state.result !== 'waiting') {
        this.logger.info({ ...log, polls, result: state.result }, 'Duo answered');
        const fallback = state.result === 'allow' ? 'approved in Duo' : 'denied in Duo';
        return this.report(job.challengeId, state.result, withoutUsername(state.statusMessage, username) || fallback);
      }
      // A long poll already waited; an immediate answer waits out the interval.
      const wait = this.pollIntervalMs - (this.now() - started);
      if (wait > 0) await this.sleep(Math.min(wait, command.expiresAt - this.now()), stopOrEnded);
    }
  }

  private async call<T>(log: object, what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.deps.metrics.measureProvider(this.deps.duo.name, call, providerOutcome);
    } catch (error) {
      logProviderFailure(this.logger, log, error, what);
      throw error;
    }
  }

  private async report(challengeId: string, result: DuoAuthOutcome, reason: string): Promise<DuoAuthOutcome> {
    const event: DuoResultEvent = { v: 1, type: 'duo.result', challengeId, result, reason: reason.slice(0, 255) };
    await this.deps.events.add(QueueName.Events, JobIds.duoResult(challengeId), event);
    return result;
  }
}
