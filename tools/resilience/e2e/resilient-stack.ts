import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { MfaClient } from '@mfa/client';
import { Keyring } from '@mfa/crypto';
import type { SmtpFake, TwilioFake } from '@mfa/fakes';
import { createTestDatabase, TcpProxy, type TestDatabase } from '@mfa/testing';
import { spawnApp, startFakes, stopProcess, waitForReady, type AppName, type AppProcess } from '../../e2e/src/stack';
import type { TwilioTap } from '../../e2e/src/twilio-tap';
import { OwnRedis } from './own-redis';

/**
 * The tools/e2e process stack, with the two backing services put where a test can break them:
 * Redis is a redis-server of our own (SIGKILL and restart it), PostgreSQL is reached through a
 * TCP proxy in this process (cut it). The shared Redis and PostgreSQL are never touched.
 */
export interface ResilientStack {
  apiKey: string;
  env: Record<string, string>;
  twilio: TwilioFake;
  smtp: SmtpFake;
  tap: TwilioTap;
  redis: OwnRedis;
  /** Between the apps and PostgreSQL: `pg.cut()` is a restart as the apps see it. */
  pg: TcpProxy;
  /** A direct connection to the stack's database (not through the proxy). */
  db: Client;
  apps: AppProcess[];
  client(options?: { timeoutMs?: number; gateway?: number }): MfaClient;
  startApp(app: AppName, extraEnv?: Record<string, string>): Promise<AppProcess>;
  output(): string;
  /** Row counts of every table of the stack's database. */
  rowCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export interface ResilientStackOptions {
  gatewayEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  telephonyWorkers?: number;
}

export async function startResilientStack(options: ResilientStackOptions = {}): Promise<ResilientStack> {
  const database: TestDatabase = await createTestDatabase('postgres');
  const redis = await new OwnRedis().start();
  const pg = await TcpProxy.inFrontOf(database.url).start();
  const fakes = await startFakes();
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    MFA_DATA_DIR: mkdtempSync(join(tmpdir(), 'mfa-resilience-')),
    DATABASE_URL: pg.url(database.url),
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `{mfa-res-${randomBytes(6).toString('hex')}}`,
    MFA_ENCRYPTION_KEYS: Keyring.generateSpec('res1'),
    MFA_BOOTSTRAP_API_KEY: `mfa_res_${randomBytes(18).toString('base64url')}`,
    MFA_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    TWILIO_ACCOUNT_SID: fakes.twilio.accountSid,
    TWILIO_AUTH_TOKEN: fakes.twilio.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    TWILIO_API_BASE_URL: fakes.tap.url,
    SMTP_URL: fakes.smtp.url,
    MAIL_FROM: '"MFA Gateway" <no-reply@mfa.example>',
  };
  const apps: AppProcess[] = [];
  const clients: MfaClient[] = [];
  let count = 0;

  const startApp = async (app: AppName, extraEnv: Record<string, string> = {}): Promise<AppProcess> => {
    const own = app === 'gateway' ? { ...options.gatewayEnv, ...extraEnv } : { ...options.workerEnv, ...extraEnv };
    const started = await spawnApp(app, `${app}#${++count}`, { ...env, ...own });
    apps.push(started);
    await waitForReady(started);
    return started;
  };

  const stack: ResilientStack = {
    apiKey: env.MFA_BOOTSTRAP_API_KEY,
    env,
    ...fakes,
    redis,
    pg,
    db,
    apps,
    startApp,
    client({ timeoutMs = 5_000, gateway = 0 } = {}) {
      const address = apps.filter((a) => a.grpcAddress)[gateway].grpcAddress!;
      const client = new MfaClient({ address, apiKey: env.MFA_BOOTSTRAP_API_KEY, retries: 0, timeoutMs });
      clients.push(client);
      return client;
    },
    output: () => apps.map((a) => `===== ${a.name}\n${a.output.join('')}`).join('\n'),
    async rowCounts() {
      const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
      const counts: Record<string, number> = {};
      for (const { table_name: table } of tables.rows) {
        const result = await db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM "${table}"`);
        counts[table] = Number(result.rows[0].n);
      }
      return counts;
    },
    async stop() {
      clients.forEach((c) => c.close());
      await Promise.all(apps.map((a) => stopProcess(a, 10_000)));
      await Promise.all([fakes.twilio.stop(), fakes.smtp.stop(), fakes.tap.stop()]);
      await db.end().catch(() => undefined);
      await pg.stop();
      await redis.stop();
      await database.drop();
      rmSync(env.MFA_DATA_DIR, { recursive: true, force: true });
    },
  };

  try {
    await startApp('gateway');
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

/** Every app of the stack is still running (none crashed or was restarted behind our back). */
export function deadApps(stack: ResilientStack): string[] {
  return stack.apps.filter((a) => a.child.exitCode !== null || a.child.signalCode !== null).map((a) => a.name);
}
