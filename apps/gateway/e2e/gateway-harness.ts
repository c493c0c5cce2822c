import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { MfaClient } from '@mfa/client';
import { Keyring } from '@mfa/crypto';
import { Database } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { createBullConnection } from '@mfa/queue';
import { createTestDatabase, freePort, type TestDatabase, type TestDriver } from '@mfa/testing';
import { loadGatewayConfig, type GatewayConfig } from '../src/config/gateway-config';
import { GatewayModule } from '../src/gateway.module';
import { GATEWAY_APP_OPTIONS, startGatewayApp } from '../src/gateway-app';
import { Clock } from '../src/services/clock';
import { LOGGER } from '../src/services/logger.provider';

/** A clock the test moves by hand, starting at the real time. */
export class ManualClock extends Clock {
  private current = Date.now();
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

export interface RunningGateway {
  app: INestApplication;
  config: GatewayConfig;
  /** The environment the gateway was configured from; workers under test share it. */
  env: Record<string, string>;
  database: Database;
  clock: ManualClock;
  apiKey: string;
  grpcAddress: string;
  httpUrl: string;
  client(apiKey?: string): MfaClient;
  close(): Promise<void>;
}

export interface GatewayHarnessOptions {
  driver: TestDriver;
  env?: Record<string, string>;
  /** Reuse a database (and keep it on close), e.g. to restart the gateway with other keys. */
  database?: TestDatabase;
  /** The gateway's logger, for a test that reads what it logs. */
  logger?: Logger;
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = createBullConnection(redisUrl);
  try {
    const keys = await redis.keys(pattern);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Boots the real gateway module in this process: real gRPC, HTTP, database and Redis. */
export async function startGateway(options: GatewayHarnessOptions): Promise<RunningGateway> {
  const db: TestDatabase = options.database ?? (await createTestDatabase(options.driver));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const apiKey = `mfa_test_${Math.random().toString(36).slice(2)}_${Date.now()}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    MFA_ENCRYPTION_KEYS: Keyring.generateSpec('test1'),
    MFA_BOOTSTRAP_API_KEY: apiKey,
    MFA_ADMIN_TOKEN: 'test-admin-token',
    QUEUE_PREFIX: `{mfa-test-${grpcPort}}`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ...options.env,
  };
  const config = loadGatewayConfig(env);
  const clock = new ManualClock();
  const testing = Test.createTestingModule({ imports: [GatewayModule.forRoot(config)] })
    .overrideProvider(Clock)
    .useValue(clock);
  if (options.logger) testing.overrideProvider(LOGGER).useValue(options.logger);
  const moduleRef = await testing.compile();
  const app = moduleRef.createNestApplication({ ...GATEWAY_APP_OPTIONS, logger: false });
  await startGatewayApp(app, config, '127.0.0.1');
  const clients: MfaClient[] = [];
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  return {
    app,
    config,
    env,
    database: app.get(Database),
    clock,
    apiKey,
    grpcAddress,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    client(key = apiKey) {
      const client = new MfaClient({ address: grpcAddress, apiKey: key, retries: 0 });
      clients.push(client);
      return client;
    },
    async close() {
      clients.forEach((c) => c.close());
      await app.close();
      if (!options.database) await db.drop();
      // The harness's own prefix is this gateway's alone: nothing of it outlives the test.
      // A test that brings its own Redis (a cluster, one that is down) cleans up after itself.
      if (!options.env?.QUEUE_PREFIX && !options.env?.REDIS_URL) await deleteKeys(env.REDIS_URL, `${env.QUEUE_PREFIX}*`);
    },
  };
}
