import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { MfaClient } from '@mfa/client';
import { DEFAULT_JOB_OPTIONS } from '@mfa/queue';
import { closedLoop, codeFromSms, CpuMeter, cpuSeconds, deadlineIn, deleteKeys, latency, log, REDIS_URL, sleep, usNumber, withRetry, type CpuShare, type Latency, type RssSampler, type SmsRouter, type Stack } from './harness';

/**
 * 1. Challenge pipeline: StartChallenge for SMS factors at a fixed number of calls in flight,
 * through gateway → otp-worker → telephony-worker → the Twilio fake in this process. Latency is
 * from the start of the RPC to the fake receiving the provider request. Baseline, same run: raw
 * BullMQ, two hops of empty jobs on the same Redis, the hops in processes of their own as the
 * workers are, the producer here at the same concurrency.
 */

export const IN_FLIGHT = 64;

export interface SmsFactor {
  userId: string;
  factorId: string;
  number: string;
}

export interface PipelineRun {
  issued: number;
  accepted: number;
  rejected: number;
  delivered: number;
  /** Accepted challenges whose SMS never reached the fake within the drain time. */
  undelivered: number;
  accepted_per_s: number;
  delivered_per_s: number;
  latency: Latency;
  seconds: number;
  cpu: CpuShare[];
  errors: string[];
}

export interface PipelineFigures {
  ratio: number;
  accepted_per_s: number;
  delivered_per_s: number;
  baseline_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  challenges: number;
  baseline_jobs: number;
  baseline_cpu: CpuShare[];
  cpu: CpuShare[];
}

/**
 * Enrolls up to `count` SMS factors (fewer if `maxSeconds` runs out), one per user and number,
 * each confirmed with the code the fake received.
 */
export async function enrollSmsFactors(client: MfaClient, router: SmsRouter, count: number, maxSeconds: number): Promise<SmsFactor[]> {
  const run = randomBytes(3).toString('hex');
  const factors: SmsFactor[] = [];
  await closedLoop(
    count,
    IN_FLIGHT,
    async (i) => {
      const number = usNumber(i);
      const userId = `bench-sms-${run}-${i}`;
      try {
        const enrollment = await withRetry(async () => {
          const sms = router.next(number, 60_000);
          const answer = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: number, locale: 'en' });
          return { answer, sms };
        });
        const code = codeFromSms(await enrollment.sms);
        const factor = await withRetry(() => client.confirmEnrollment({ user_id: userId, factor_id: enrollment.answer.factor.id, code }));
        factors.push({ userId, factorId: factor.id, number });
      } catch (error) {
        log(`enrollment of an SMS factor failed (left out): ${(error as Error).message.split('\n')[0]}`);
      }
    },
    deadlineIn(maxSeconds),
  );
  router.clear();
  return factors;
}

/**
 * Issues `count` challenges round-robin over `factors` with IN_FLIGHT RPCs outstanding, then waits
 * (bounded) for their SMS. Rates are over the time from the first RPC to the last accept/delivery.
 */
export async function runPipeline(stack: Stack, client: MfaClient, router: SmsRouter, factors: SmsFactor[], count: number, maxSeconds: number, rss?: RssSampler): Promise<PipelineRun> {
  stack.twilio.reset();
  const samples: number[] = [];
  const errors = new Map<string, number>();
  let accepted = 0;
  let rejected = 0;
  let delivered = 0;
  let lastAccepted = 0;
  let lastDelivered = 0;
  const meter = new CpuMeter(stack);
  await meter.begin();
  rss?.start();
  const t0 = performance.now();
  const issued = await closedLoop(count, IN_FLIGHT, async (i) => {
    const factor = factors[i % factors.length];
    const started = performance.now();
    const withdraw = router.expect(factor.number, (_m, at) => {
      samples.push(at - started);
      delivered++;
      lastDelivered = at;
    });
    try {
      await client.startChallenge({ user_id: factor.userId, factor_id: factor.factorId, locale: 'en' });
      accepted++;
      lastAccepted = performance.now();
    } catch (error) {
      // No SMS will come for it.
      withdraw();
      rejected++;
      const key = (error as Error).message.slice(0, 120);
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }, deadlineIn(maxSeconds));
  // Drain: wait for the SMS of every accepted challenge, bounded, and give up early if nothing moves.
  const drainDeadline = deadlineIn(Math.max(20, maxSeconds * 3));
  let last = delivered;
  let lastProgress = performance.now();
  while (delivered < accepted && performance.now() < drainDeadline) {
    await sleep(50);
    if (delivered !== last) {
      last = delivered;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 5_000) break;
  }
  const cpu = await meter.end();
  rss?.stop();
  router.clear();
  const acceptSeconds = (lastAccepted - t0) / 1000;
  const deliverSeconds = (lastDelivered - t0) / 1000;
  return {
    issued,
    accepted,
    rejected,
    delivered,
    undelivered: accepted - delivered,
    accepted_per_s: accepted / acceptSeconds,
    delivered_per_s: delivered / deliverSeconds,
    latency: latency(samples),
    seconds: deliverSeconds,
    cpu,
    errors: [...errors].map(([message, n]) => `${n}× ${message}`),
  };
}

export interface BaselineRun {
  per_s: number;
  jobs: number;
  cpu: CpuShare[];
}

/**
 * Raw BullMQ, two hops of empty jobs: this process adds to queue A with IN_FLIGHT adds outstanding,
 * a process working A adds to B (concurrency 64, like the otp worker), a process working B
 * completes (concurrency 32, like the telephony worker). jobs/s = jobs / (last completion on B − first add).
 */
export async function runBullmqBaseline(count: number, maxSeconds: number): Promise<BaselineRun> {
  const prefix = `{mfa-bench-baseline-${randomBytes(5).toString('hex')}}`;
  const hopEntry = join(__dirname, 'bullmq-hop.js');
  const hops: { child: ChildProcess; completed: number; lastAt: number }[] = [];
  const start = (queue: string, next: string | undefined, concurrency: number): Promise<void> => {
    const child = fork(hopEntry, [JSON.stringify({ redisUrl: REDIS_URL, prefix, queue, next, concurrency })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const hop = { child, completed: 0, lastAt: 0 };
    hops.push(hop);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a baseline hop did not start within 15 s')), 15_000);
      child.on('message', (m: { ready?: boolean; completed?: number; lastAt?: number }) => {
        if (m.ready) {
          clearTimeout(timer);
          resolve();
        }
        if (m.completed !== undefined) {
          hop.completed = m.completed;
          hop.lastAt = m.lastAt ?? 0;
        }
      });
      child.once('exit', () => reject(new Error('a baseline hop exited')));
    });
  };
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queueA = new Queue('bench-a', { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  try {
    await Promise.all([start('bench-a', 'bench-b', 64), start('bench-b', undefined, 32)]);
    const hopB = hops[1];
    const cpuBefore = hops.map((h) => cpuSeconds(h.child.pid!));
    const selfBefore = process.cpuUsage();
    const t0 = Date.now();
    const added = await closedLoop(
      count,
      IN_FLIGHT,
      async () => {
        await queueA.add('empty', {});
      },
      deadlineIn(maxSeconds),
    );
    const deadline = Date.now() + Math.max(20, maxSeconds * 3) * 1000;
    while (hopB.completed < added && Date.now() < deadline) await sleep(50);
    // The last report may lag the last completion by up to 100 ms; lastAt is the completion's own time.
    const seconds = (hopB.lastAt - t0) / 1000;
    const wall = (Date.now() - t0) / 1000;
    const self = process.cpuUsage(selfBefore);
    const cpu: CpuShare[] = [
      { name: 'hop A', percent: (100 * (cpuSeconds(hops[0].child.pid!) - cpuBefore[0])) / wall },
      { name: 'hop B', percent: (100 * (cpuSeconds(hops[1].child.pid!) - cpuBefore[1])) / wall },
      { name: 'producer (bench)', percent: (100 * (self.user + self.system)) / 1e6 / wall },
    ];
    return { per_s: hopB.completed / seconds, jobs: hopB.completed, cpu };
  } finally {
    await queueA.close().catch(() => undefined);
    for (const hop of hops) hop.child.kill('SIGTERM');
    await Promise.all(hops.map((h) => (h.child.exitCode === null && h.child.signalCode === null ? new Promise((resolve) => h.child.once('exit', resolve)) : undefined)));
    await deleteKeys(connection, prefix).catch(() => undefined);
    connection.disconnect();
  }
}

const WARM_UP_CHALLENGES = 4 * IN_FLIGHT;

export async function pipelineBench(stack: Stack, client: MfaClient, router: SmsRouter, factors: SmsFactor[], count: number, maxSeconds: number, rss: RssSampler): Promise<PipelineFigures> {
  log(`pipeline: baseline, up to ${count} jobs or ${maxSeconds} s through two BullMQ hops`);
  const baseline = await runBullmqBaseline(count, maxSeconds);
  log(`pipeline: baseline ${Math.round(baseline.per_s)} jobs/s (${baseline.jobs} jobs)`);
  // Steady state is what is measured: a short run first fills pools, prepares statements and lets the JIT settle.
  log(`pipeline: warm-up, ${WARM_UP_CHALLENGES} SMS challenges (not counted)`);
  await runPipeline(stack, client, router, factors, WARM_UP_CHALLENGES, maxSeconds);
  log(`pipeline: up to ${count} SMS challenges or ${maxSeconds} s over ${factors.length} factors, ${IN_FLIGHT} in flight`);
  const run = await runPipeline(stack, client, router, factors, count, maxSeconds, rss);
  if (run.errors.length > 0) log(`pipeline: rejected: ${run.errors.join('; ')}`);
  if (run.undelivered > 0) log(`pipeline: ${run.undelivered} accepted challenges were not delivered within the drain time`);
  log(`pipeline: accepted ${Math.round(run.accepted_per_s)}/s, delivered ${Math.round(run.delivered_per_s)}/s, p50 ${Math.round(run.latency.p50)} ms`);
  return {
    ratio: run.delivered_per_s / baseline.per_s,
    accepted_per_s: run.accepted_per_s,
    delivered_per_s: run.delivered_per_s,
    baseline_per_s: baseline.per_s,
    p50_ms: run.latency.p50,
    p95_ms: run.latency.p95,
    p99_ms: run.latency.p99,
    challenges: run.delivered,
    baseline_jobs: baseline.jobs,
    baseline_cpu: baseline.cpu,
    cpu: run.cpu,
  };
}
