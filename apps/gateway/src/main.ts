import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@mfa/observability';
import { Database, DatabaseUrlError } from '@mfa/persistence';
import { exitOnSignal } from '@mfa/worker-host';
import { developmentBanner } from './config/development-banner';
import { ConfigError, loadGatewayConfig } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { GATEWAY_APP_OPTIONS, startGatewayApp } from './gateway-app';
import { setGrpcServing } from './grpc/grpc-options';

const logger = createLogger('gateway');

/**
 * The database, opened before Nest builds the app: a malformed, unreachable or missing database
 * stops the start with one line naming DATABASE_URL, not a stack trace from inside a provider.
 */
async function openDatabase(url: string): Promise<Database> {
  try {
    return await Database.open(url);
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new ConfigError(error.message);
    throw new ConfigError(`DATABASE_URL: cannot open the database: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  for (const notice of config.notices) logger.warn(notice);
  const database = await openDatabase(config.databaseUrl);
  // abortOnError: false and no logger while Nest builds the app: an error there reaches the one-line
  // handler below instead of Nest printing its stack trace and exiting on its own.
  const app = await NestFactory.create(GatewayModule.forRoot(config, database), { ...GATEWAY_APP_OPTIONS, abortOnError: false, logger: false });
  app.useLogger(['error', 'warn']);
  await startGatewayApp(app, config);
  logger.info({ grpcPort: config.grpcPort, httpPort: config.httpPort, database: config.databaseUrl.split(':')[0] }, 'gateway ready');
  const banner = developmentBanner(config, process.env);
  if (banner) process.stdout.write(banner);
  exitOnSignal('gateway', async () => {
    // Health first, so load balancers stop sending calls while the in-flight ones finish.
    setGrpcServing(false);
    await app.close();
  });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `start-up failed: ${(error as Error).message}`;
  logger.fatal(message);
  process.stderr.write(`gateway: ${message}\n`);
  process.exit(1);
});
