import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@mfa/observability';
import { exitOnSignal } from '@mfa/worker-host';
import { ConfigError, loadGatewayConfig } from './config/gateway-config';
import { GatewayModule } from './gateway.module';
import { GATEWAY_APP_OPTIONS, startGatewayApp } from './gateway-app';
import { setGrpcServing } from './grpc/grpc-options';

const logger = createLogger('gateway');

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  for (const notice of config.notices) logger.warn(notice);
  const app = await NestFactory.create(GatewayModule.forRoot(config), { ...GATEWAY_APP_OPTIONS, logger: ['error', 'warn'] });
  await startGatewayApp(app, config);
  logger.info({ grpcPort: config.grpcPort, httpPort: config.httpPort, database: config.databaseUrl.split(':')[0] }, 'gateway ready');
  if (config.bootstrapApiKey && !config.production && !process.env.MFA_BOOTSTRAP_API_KEY) {
    // Development only: the operator needs this key to make the first call.
    process.stdout.write(`\nGateway gRPC on 127.0.0.1:${config.grpcPort}, HTTP on 127.0.0.1:${config.httpPort}\nAPI key (tenant "default"): ${config.bootstrapApiKey}\n\n`);
  }
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
