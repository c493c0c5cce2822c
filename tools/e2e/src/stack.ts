import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MfaClient } from '@mfa/client';
import { Keyring } from '@mfa/crypto';
import { SmtpFake, TwilioFake } from '@mfa/fakes';
import { createTestDatabase, freePort, redisKeys, type TestDatabase } from '@mfa/testing';
import { TwilioTap } from './twilio-tap';

/**
 * The whole product as operators run it: the built apps as child processes, each with its own
 * environment and ports, sharing one PostgreSQL database, one Redis prefix and the loopback
 * provider fakes (which run here, in the test process, so tests can read what they received).
 */

export type AppName = 'gateway' | 'otp-worker' | 'telephony-worker' | 'email-worker';

export interface AppProcess {
  /** `telephony-worker#2` when several of one app run. */
  name: string;
  child: ChildProcess;
  httpUrl: string;
  /** gRPC address (gateway only). */
  grpcAddress?: string;
  /** Everything the process wrote to stdout and stderr. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StackOptions {
  /** Extra environment for the gateway(s), e.g. send limits. */
  gatewayEnv?: Record<string, string>;
  /** Extra environment for every worker, e.g. WORKER_CONCURRENCY. */
  workerEnv?: Record<string, string>;
  gateways?: number;
  telephonyWorkers?: number;
}

export interface Stack {
  prefix: string;
  apiKey: string;
  /** The environment every app shares (secrets included, so tests can look for them). */
  env: Record<string, string>;
  twilio: TwilioFake;
  smtp: SmtpFake;
  tap: TwilioTap;
  redis: Redis;
  apps: AppProcess[];
  /** A client of the n-th gateway. */
  client(gateway?: number): MfaClient;
  startApp(app: AppName, extraEnv?: Record<string, string>): Promise<AppProcess>;
  /** All output of all processes so far, one block per process. */
  output(): string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..', '..');
const READY_TIMEOUT_MS = 30_000;
/** Longer than the workers' own drain timeout (SHUTDOWN_TIMEOUT_MS, 25 s). */
export const STOP_TIMEOUT_MS = 30_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase('postgres');
  const fakes = await startFakes();
  const env = sharedEnvironment(database, fakes);
  const apps: AppProcess[] = [];
  const clients: MfaClient[] = [];
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let count = 0;

  const startApp = async (app: AppName, extraEnv: Record<string, string> = {}): Promise<AppProcess> => {
    const name = `${app}#${++count}`;
    const own = app === 'gateway' ? { ...options.gatewayEnv, ...extraEnv } : { ...options.workerEnv, ...extraEnv };
    const started = await spawnApp(app, name, { ...env, ...own });
    apps.push(started);
    await waitForReady(started);
    return started;
  };

  const stack: Stack = {
    prefix: env.QUEUE_PREFIX,
    apiKey: env.MFA_BOOTSTRAP_API_KEY,
    env,
    ...fakes,
    redis,
    apps,
    startApp,
    client(n = 0) {
      const gateways = apps.filter((a) => a.grpcAddress);
      const client = new MfaClient({ address: gateways[n].grpcAddress!, apiKey: env.MFA_BOOTSTRAP_API_KEY, retries: 0, timeoutMs: 10_000 });
      clients.push(client);
      return client;
    },
    output: () => apps.map((a) => `===== ${a.name}\n${a.output.join('')}`).join('\n'),
    async stop() {
      clients.forEach((c) => c.close());
      await Promise.all(apps.map((a) => stopProcess(a)));
      await Promise.all([fakes.twilio.stop(), fakes.smtp.stop(), fakes.tap.stop()]);
      await deleteKeys(redis, env.QUEUE_PREFIX);
      redis.disconnect();
      await database.drop();
      rmSync(env.MFA_DATA_DIR, { recursive: true, force: true });
    },
  };

  try {
    // The gateway first: it runs the migrations the others do not need, but nothing else waits.
    for (let i = 0; i < (options.gateways ?? 1); i++) await startApp('gateway');
    const workers: AppName[] = ['otp-worker', 'email-worker'];
    for (let i = 0; i < (options.telephonyWorkers ?? 1); i++) workers.push('telephony-worker');
    await Promise.all(workers.map((w) => startApp(w)));
  } catch (error) {
    const output = stack.output();
    await stack.stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return stack;
}

interface Fakes {
  twilio: TwilioFake;
  smtp: SmtpFake;
  tap: TwilioTap;
}

export async function startFakes(): Promise<Fakes> {
  const twilio = await new TwilioFake().start();
  const smtp = await new SmtpFake().start();
  const tap = await new TwilioTap(twilio.url).start();
  return { twilio, smtp, tap };
}

/** What every app of one stack shares, as a production deployment would set it. */
function sharedEnvironment(database: TestDatabase, fakes: Fakes): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'debug',
    MFA_DATA_DIR: mkdtempSync(join(tmpdir(), 'mfa-e2e-')),
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: `{mfa-e2e-${randomBytes(6).toString('hex')}}`,
    MFA_ENCRYPTION_KEYS: Keyring.generateSpec('e2e1'),
    MFA_BOOTSTRAP_API_KEY: `mfa_e2e_${randomBytes(18).toString('base64url')}`,
    MFA_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TWILIO_ACCOUNT_SID: fakes.twilio.accountSid,
    TWILIO_AUTH_TOKEN: fakes.twilio.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    TWILIO_API_BASE_URL: fakes.tap.url,
    SMTP_URL: fakes.smtp.url,
    MAIL_FROM: '"MFA Gateway" <no-reply@mfa.example>',
  };
}

/** Starts `dist/apps/<app>/src/main.js` on free ports, capturing its output. */
export async function spawnApp(app: AppName, name: string, env: Record<string, string>): Promise<AppProcess> {
  const httpPort = await freePort();
  const grpcPort = app === 'gateway' ? await freePort() : undefined;
  const ports = { HTTP_PORT: String(httpPort), ...(grpcPort ? { GRPC_PORT: String(grpcPort) } : {}) };
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], { cwd: ROOT, env: { ...env, ...ports }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { name, child, output, exited, httpUrl: `http://127.0.0.1:${httpPort}`, grpcAddress: grpcPort ? `127.0.0.1:${grpcPort}` : undefined };
}

/** Polls `path` on the app's HTTP port until it answers `status`. */
export async function waitForHttp(app: AppProcess, path: string, status = 200, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null || app.child.signalCode !== null) throw new Error(`${app.name} exited before ${path} answered ${status}:\n${app.output.join('')}`);
    const answer = await fetch(`${app.httpUrl}${path}`).then(
      (res) => res.status,
      () => 0,
    );
    if (answer === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${app.name}: ${path} did not answer ${status} within ${timeoutMs} ms`);
}

/** Polls `/readyz` until it answers 200; fails early when the process exits. */
export function waitForReady(app: AppProcess, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  return waitForHttp(app, '/readyz', 200, timeoutMs);
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how the process ended. */
export async function stopProcess(app: AppProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), timeoutMs);
  try {
    return await app.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Every Redis key under the stack's prefix. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redisKeys(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
}
