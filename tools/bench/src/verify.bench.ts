import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import type { MfaClient } from '@mfa/client';
import { totp } from '@mfa/testing';
import { ECHO_SERVICE } from './echo-server';
import { closedLoop, cpuSeconds, CpuMeter, deadlineIn, latency, log, withRetry, type CpuShare, type Latency, type Stack } from './harness';
import { IN_FLIGHT } from './pipeline.bench';

/**
 * 2. Verify path: VerifyChallenge for TOTP with IN_FLIGHT calls outstanding. Every user has one
 * active TOTP factor and one pending challenge, verified once with the right current code (a time
 * step is accepted once per factor, so each factor verifies once; no wrong codes, so lockout and
 * attempt limits never come into play). Baseline, same run: a bare @grpc/grpc-js unary echo server
 * in a process of its own, called from here with the same number in flight.
 */

interface PreparedUser {
  userId: string;
  challengeId: string;
  secret: string;
  /** The time step ConfirmEnrollment used: replayed, it would be refused. */
  confirmedStep: number;
}

const step = (ms: number): number => Math.floor(ms / 30_000);

export interface VerifyFigures {
  ratio: number;
  per_s: number;
  baseline_per_s: number;
  p50_ms: number;
  p99_ms: number;
  calls: number;
  ok: number;
  latency: Latency;
  baseline_latency: Latency;
  cpu: CpuShare[];
  baseline_cpu: CpuShare[];
}

/** Users with an active TOTP factor (confirmed with the previous step's code) and a pending challenge. */
export async function prepareTotpUsers(client: MfaClient, count: number, maxSeconds: number): Promise<PreparedUser[]> {
  const run = randomBytes(3).toString('hex');
  const users: PreparedUser[] = [];
  let failed = 0;
  await closedLoop(
    count,
    IN_FLIGHT,
    async (i) => {
      const userId = `bench-totp-${run}-${i}`;
      try {
        const enrollment = await withRetry(() => client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_TOTP', label: userId }));
        const secret = enrollment.totp!.secret_base32;
        const now = Date.now();
        await withRetry(() => client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: totp(secret, now) }));
        const challenge = await withRetry(() => client.startChallenge({ user_id: userId, factor_id: enrollment.factor.id }));
        users.push({ userId, challengeId: challenge.id, secret, confirmedStep: step(now) });
      } catch {
        failed++;
      }
    },
    deadlineIn(maxSeconds),
  );
  if (failed > 0) log(`verify: ${failed} users could not be prepared (left out)`);
  return users;
}

export async function runEcho(count: number, maxSeconds: number): Promise<{ per_s: number; latency: Latency; cpu: CpuShare[] }> {
  const child = fork(join(__dirname, 'echo-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let client: Client | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the echo server did not start within 15 s')), 15_000);
      child.once('message', (m: { port: number }) => {
        clearTimeout(timer);
        resolve(m.port);
      });
      child.once('exit', () => reject(new Error('the echo server exited')));
    });
    const EchoClient = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
    client = new EchoClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const echo = client as unknown as { Echo(request: Buffer, callback: (error: ServiceError | null, value: Buffer) => void): void };
    const payload = randomBytes(64);
    const call = (): Promise<void> => new Promise((resolve, reject) => echo.Echo(payload, (error) => (error ? reject(error) : resolve())));
    await closedLoop(500, IN_FLIGHT, call); // warm-up: connection, JIT
    const samples: number[] = [];
    const serverBefore = cpuSeconds(child.pid!);
    const selfBefore = process.cpuUsage();
    const t0 = performance.now();
    const calls = await closedLoop(
      count,
      IN_FLIGHT,
      async () => {
        const started = performance.now();
        await call();
        samples.push(performance.now() - started);
      },
      deadlineIn(maxSeconds),
    );
    const seconds = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(selfBefore);
    const cpu: CpuShare[] = [
      { name: 'echo server', percent: (100 * (cpuSeconds(child.pid!) - serverBefore)) / seconds },
      { name: 'echo client (bench)', percent: (100 * (self.user + self.system)) / 1e6 / seconds },
    ];
    return { per_s: calls / seconds, latency: latency(samples), cpu };
  } finally {
    client?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}

/** Verifications before the measured ones, at most (a quarter of the prepared users when fewer). */
const WARM_UP_CALLS = 300;

/** The user's challenge answered with the current code, or the next step's while the current one is the step confirmation used (±1 is accepted). */
function verifyOnce(client: MfaClient, user: PreparedUser): Promise<{ ok: boolean }> {
  const now = Date.now();
  const code = totp(user.secret, step(now) > user.confirmedStep ? now : now + 30_000);
  return client.verifyChallenge({ challenge_id: user.challengeId, code });
}

export async function verifyBench(stack: Stack, client: MfaClient, users: number, maxSeconds: number): Promise<VerifyFigures> {
  log(`verify: baseline, bare grpc-js echo calls for ${maxSeconds} s`);
  const echo = await runEcho(1_000_000, maxSeconds);
  log(`verify: baseline ${Math.round(echo.per_s)} calls/s`);
  log(`verify: preparing up to ${users} users with a TOTP factor and a pending challenge`);
  const prepared = await prepareTotpUsers(client, users, maxSeconds * 3);
  // Steady state is what is measured: the first verifications fill the connection pool, prepare
  // the statements on each connection and let the JIT settle; they are not counted.
  const warmUp = prepared.splice(0, Math.min(WARM_UP_CALLS, Math.floor(prepared.length / 4)));
  log(`verify: warm-up, ${warmUp.length} VerifyChallenge calls (not counted)`);
  await closedLoop(warmUp.length, IN_FLIGHT, (i) => verifyOnce(client, warmUp[i]).then(() => undefined));
  log(`verify: ${prepared.length} VerifyChallenge calls, ${IN_FLIGHT} in flight`);
  const samples: number[] = [];
  let ok = 0;
  const meter = new CpuMeter(stack);
  await meter.begin();
  const t0 = performance.now();
  await closedLoop(prepared.length, IN_FLIGHT, async (i) => {
    const started = performance.now();
    const answer = await verifyOnce(client, prepared[i]);
    samples.push(performance.now() - started);
    if (answer.ok) ok++;
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = await meter.end();
  const stats = latency(samples);
  const perS = prepared.length / seconds;
  if (ok !== prepared.length) log(`verify: ${prepared.length - ok} of ${prepared.length} verifications answered ok=false`);
  log(`verify: ${Math.round(perS)} calls/s, p50 ${stats.p50.toFixed(1)} ms, p99 ${stats.p99.toFixed(1)} ms`);
  return {
    ratio: perS / echo.per_s,
    per_s: perS,
    baseline_per_s: echo.per_s,
    p50_ms: stats.p50,
    p99_ms: stats.p99,
    calls: prepared.length,
    ok,
    latency: stats,
    baseline_latency: echo.latency,
    cpu,
    baseline_cpu: echo.cpu,
  };
}
