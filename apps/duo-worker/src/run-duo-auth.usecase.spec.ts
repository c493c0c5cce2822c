import { Writable } from 'node:stream';
import { Keyring } from '@mfa/crypto';
import { createLogger, createMetricsRegistry, WorkerMetrics } from '@mfa/observability';
import { JobDeferred, JobIds, PermanentProviderError, RetryableProviderError, sealedDuoUsernameAad, type ChallengeEventJob } from '@mfa/queue';
import { DuoSecrets } from './duo-secrets';
import type { DuoTxidRepository } from './duo-txid.repository';
import type { DuoAuthStart, DuoAuthState, DuoProvider } from './providers/duo.provider';
import { RunDuoAuthCommand, type AuthJob } from './run-duo-auth.command';
import { AuthShare } from './auth-share';
import { DuoPollingInterrupted, ENDED_REASON, NOT_SENT_REASON, RunDuoAuthUseCase, TIMEOUT_REASON, UNAVAILABLE_REASON, WITHDRAWN_REASON } from './run-duo-auth.usecase';

const USERNAME = 'alice.secret-user';
const QUEUED = 1_000_000;

/** The use case on a fake clock, with in-memory ports and a scripted Duo. */
function setup(states: (DuoAuthState | Error)[], options: { statusTakesMs?: number; onPoll?: () => void; share?: AuthShare; pollsHang?: boolean; metrics?: WorkerMetrics } = {}) {
  let clock = QUEUED;
  const keyring = Keyring.parse(Keyring.generateSpec('t1'));
  const lines: string[] = [];
  const logger = createLogger('test', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }), 'debug');
  const txids = new Map<string, string>();
  const ended = new Set<string>();
  const repo: DuoTxidRepository = { find: async (id) => ({ txid: txids.get(id), ended: ended.has(id) }), save: async (id, txid) => void txids.set(id, txid) };
  const events: { jobId: string; event: ChallengeEventJob }[] = [];
  const started: DuoAuthStart[] = [];
  const polls: string[] = [];
  const duo: DuoProvider = {
    name: 'duo',
    preauth: async () => ({ result: 'auth', statusMessage: '' }),
    checkPasscode: async () => ({ result: 'allow', statusMessage: '' }),
    startAuth: async (request) => (started.push(request), { txid: 'tx-new' }),
    authStatus: async (txid, _timeoutMs, signal) => {
      polls.push(txid);
      options.onPoll?.();
      // Duo holding the long poll: nothing changes until the caller stops asking.
      if (options.pollsHang) return new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('request aborted'))));
      clock += options.statusTakesMs ?? 100;
      const next = states.length > 1 ? states.shift() : states[0];
      if (next instanceof Error) throw next;
      return next as DuoAuthState;
    },
  };
  const sleeps: number[] = [];
  const useCase = new RunDuoAuthUseCase({
    secrets: new DuoSecrets(keyring, logger),
    duo,
    txids: repo,
    events: { add: async (_q, jobId, event) => void events.push({ jobId, event: event as ChallengeEventJob }) },
    metrics: options.metrics ?? { measureProvider: (_p, call) => call() },
    logger,
    share: options.share,
    now: () => clock,
    sleep: async (ms) => void (sleeps.push(ms), (clock += ms)),
    endedCheckMs: 10,
  });
  const job: AuthJob = {
    v: 1,
    kind: 'auth',
    challengeId: 'ch1',
    factorId: 'f1',
    sealedUsername: keyring.encrypt(USERNAME, sealedDuoUsernameAad('f1')),
    factor: 'push',
    ipaddr: '203.0.113.9',
    pushInfo: { application: 'Acme', ip: '203.0.113.9', action: 'login', location: '' },
    ttlSeconds: 60,
  };
  const command = (attemptsMade = 0, stop?: AbortSignal) => RunDuoAuthCommand.create({ job, jobId: JobIds.duoAuth('ch1'), queuedAt: QUEUED, attemptsMade, stop });
  return { useCase, job, command, txids, ended, events, started, polls, sleeps, lines, advance: (ms: number) => (clock += ms) };
}

const waiting: DuoAuthState = { result: 'waiting', statusMessage: 'Pushed a login request to your device...' };

describe('RunDuoAuthUseCase', () => {
  it('pushes once, stores the txid, polls every 1.5 s until allow, and reports duo.result allow', async () => {
    const t = setup([waiting, waiting, { result: 'allow', statusMessage: 'Success. Logging you in...' }]);
    await expect(t.useCase.execute(t.command())).resolves.toBe('allow');
    expect(t.started).toEqual([{ username: USERNAME, factor: 'push', ipaddr: '203.0.113.9', pushInfo: t.job.pushInfo }]);
    expect(t.txids.get('ch1')).toBe('tx-new');
    expect(t.polls).toEqual(['tx-new', 'tx-new', 'tx-new']);
    expect(t.sleeps).toEqual([1_400, 1_400]);
    expect(t.events).toEqual([{ jobId: 'ch1.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch1', result: 'allow', reason: 'Success. Logging you in...' } }]);
  });

  it('does not sleep after a long poll that already waited', async () => {
    const t = setup([waiting, { result: 'deny', statusMessage: 'Login request denied.' }], { statusTakesMs: 30_000 });
    await expect(t.useCase.execute(t.command())).resolves.toBe('deny');
    expect(t.sleeps).toEqual([]);
    expect(t.events[0]?.event).toMatchObject({ result: 'deny', reason: 'Login request denied.' });
  });

  it('reports timeout when the challenge expires while the user has not answered', async () => {
    const t = setup([waiting]);
    await expect(t.useCase.execute(t.command())).resolves.toBe('timeout');
    expect(t.events).toEqual([{ jobId: 'ch1.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch1', result: 'timeout', reason: TIMEOUT_REASON } }]);
    expect(t.polls.length).toBeGreaterThan(30);
  });

  it('defers an auth while the auths hold their whole share of the slots, pushing nothing; one that only reports its expiry runs', async () => {
    const full = new AuthShare(0);
    const fresh = setup([waiting], { share: full });
    await expect(fresh.useCase.execute(fresh.command())).rejects.toBeInstanceOf(JobDeferred);
    expect(fresh.started).toHaveLength(0);
    expect(fresh.events).toHaveLength(0);

    const resumed = setup([{ result: 'allow', statusMessage: 'Success. Logging you in...' }], { share: full });
    resumed.txids.set('ch1', 'tx-earlier');
    await expect(resumed.useCase.execute(resumed.command(1))).rejects.toBeInstanceOf(JobDeferred);
    expect(resumed.polls).toHaveLength(0);

    const expired = setup([waiting], { share: full });
    expired.txids.set('ch1', 'tx-earlier');
    expired.advance(61_000);
    await expect(expired.useCase.execute(expired.command())).resolves.toBe('timeout');
  });

  it('sends no push for a challenge the gateway marked ended, and reports it withdrawn; an unmarked push already sent is followed as usual', async () => {
    const t = setup([waiting]);
    t.ended.add('ch1');
    await expect(t.useCase.execute(t.command())).resolves.toBe('withdrawn');
    expect(t.started).toHaveLength(0);
    expect(t.events).toEqual([{ jobId: 'ch1.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch1', result: 'withdrawn', reason: WITHDRAWN_REASON } }]);

    const sent = setup([{ result: 'allow', statusMessage: 'Success. Logging you in...' }]);
    sent.txids.set('ch1', 'tx-earlier');
    await expect(sent.useCase.execute(sent.command(1))).resolves.toBe('allow');
  });

  it('lets go of a push once its challenge is marked ended, during the long poll or before a rerun: reported timeout, slot given back', async () => {
    const share = new AuthShare(1);
    const metrics = new WorkerMetrics(createMetricsRegistry());
    const t = setup([waiting], { share, pollsHang: true, onPoll: () => t.ended.add('ch1'), metrics });
    await expect(t.useCase.execute(t.command())).resolves.toBe('timeout');
    expect(t.started).toHaveLength(1);
    expect(t.events).toEqual([{ jobId: 'ch1.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch1', result: 'timeout', reason: ENDED_REASON } }]);
    expect(share.tryTake()).toBe(true);
    // The push went out (ok); the long poll we cut short is no Duo failure.
    const counted = (await metrics.providerRequests.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(counted).toEqual([['ok', 1], ['cancelled', 1]]);

    const rerun = setup([{ result: 'allow', statusMessage: 'Success. Logging you in...' }]);
    rerun.ended.add('ch1');
    rerun.txids.set('ch1', 'tx-earlier');
    await expect(rerun.useCase.execute(rerun.command(1))).resolves.toBe('timeout');
    expect(rerun.polls).toHaveLength(0);
  });

  it('gives its slot back however the auth ends', async () => {
    const share = new AuthShare(1);
    const answered = setup([{ result: 'allow', statusMessage: 'Success. Logging you in...' }], { share });
    await expect(answered.useCase.execute(answered.command())).resolves.toBe('allow');
    const failing = setup([new RetryableProviderError('Duo answered HTTP 503', 'duo')], { share });
    await expect(failing.useCase.execute(failing.command())).rejects.toThrow('Duo answered HTTP 503');
    expect(share.tryTake()).toBe(true);
  });

  it('resumes polling a stored txid without pushing again', async () => {
    const t = setup([{ result: 'allow', statusMessage: 'Success. Logging you in...' }]);
    t.txids.set('ch1', 'tx-earlier');
    await expect(t.useCase.execute(t.command(1))).resolves.toBe('allow');
    expect(t.started).toHaveLength(0);
    expect(t.polls).toEqual(['tx-earlier']);
  });

  it('past its lifetime: timeout if Duo took the request, error if no push went out (an outage, or no worker in time)', async () => {
    const took = setup([waiting]);
    took.txids.set('ch1', 'tx-earlier');
    took.advance(61_000);
    await expect(took.useCase.execute(took.command(3))).resolves.toBe('timeout');
    const never = setup([waiting]);
    never.advance(61_000);
    await expect(never.useCase.execute(never.command(3))).resolves.toBe('error');
    expect(never.events[0]?.event).toMatchObject({ result: 'error', reason: UNAVAILABLE_REASON });
    expect(never.started).toHaveLength(0);
    const late = setup([waiting]);
    late.advance(61_000);
    await expect(late.useCase.execute(late.command())).resolves.toBe('error');
    expect(late.events[0]?.event).toMatchObject({ result: 'error', reason: NOT_SENT_REASON });
    expect(late.started).toHaveLength(0);
  });

  it('lets a classified auth_status error through (the retry resumes the txid), but not past the deadline', async () => {
    const t = setup([new RetryableProviderError('Duo answered HTTP 503', 'duo')]);
    await expect(t.useCase.execute(t.command())).rejects.toBeInstanceOf(RetryableProviderError);
    expect(t.txids.get('ch1')).toBe('tx-new');
    expect(t.events).toHaveLength(0);
  });

  it('stops polling when the worker drains, reporting nothing; the txid stays for the next worker', async () => {
    const controller = new AbortController();
    const t = setup([waiting], { onPoll: () => controller.abort() });
    await expect(t.useCase.execute(t.command(0, controller.signal))).rejects.toBeInstanceOf(DuoPollingInterrupted);
    expect(t.polls).toEqual(['tx-new']);
    expect(t.events).toHaveLength(0);
    expect(t.txids.get('ch1')).toBe('tx-new');
  });

  it('pushes nothing when the worker is already draining', async () => {
    const controller = new AbortController();
    controller.abort();
    const t = setup([waiting]);
    await expect(t.useCase.execute(t.command(0, controller.signal))).rejects.toBeInstanceOf(DuoPollingInterrupted);
    expect(t.started).toHaveLength(0);
  });

  it('final failures report error: the permanent reason, or Duo is unavailable', async () => {
    const t = setup([waiting]);
    await t.useCase.reportFinalFailure(t.job, new PermanentProviderError('Duo rejected the integration credentials', 'duo'));
    await t.useCase.reportFinalFailure({ ...t.job, challengeId: 'ch2' }, new RetryableProviderError('Duo answered HTTP 500', 'duo'));
    expect(t.events).toEqual([
      { jobId: 'ch1.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch1', result: 'error', reason: 'Duo rejected the integration credentials' } },
      { jobId: 'ch2.duo-result', event: { v: 1, type: 'duo.result', challengeId: 'ch2', result: 'error', reason: UNAVAILABLE_REASON } },
    ]);
  });

  it('never puts the username in a reason or a log line', async () => {
    const t = setup([{ result: 'deny', statusMessage: `User ${USERNAME} is locked out.` }]);
    await t.useCase.execute(t.command());
    expect(t.events[0]?.event).toMatchObject({ reason: 'User the user is locked out.' });
    expect(t.lines.join('')).not.toContain(USERNAME);
    expect(t.lines.length).toBeGreaterThan(0);
  });

  it('fails permanently on a sealed username that does not open', async () => {
    const t = setup([waiting]);
    const error = await t.useCase.execute(RunDuoAuthCommand.create({ job: { ...t.job, sealedUsername: 'v1.t1.AAAA' }, jobId: 'j', queuedAt: QUEUED, attemptsMade: 0 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(t.started).toHaveLength(0);
  });
});
