import type { INestApplication } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { GatewayConfig } from './config/gateway-config';
import { grpcOptions, setGrpcServing } from './grpc/grpc-options';
import { JobProducer } from '@mfa/queue';
import { mountQueueDashboard } from './http/queue-dashboard';

/**
 * Nest's own body parser stays off (`bodyParser: false` at creation): the device API parses
 * its JSON itself, to answer bad bodies in its own error format.
 */
export const GATEWAY_APP_OPTIONS = { bodyParser: false } as const;

/** Starts gRPC and HTTP on an app built from GatewayModule; used by main and by the tests. */
export async function startGatewayApp(app: INestApplication, config: GatewayConfig, host = '0.0.0.0'): Promise<void> {
  mountQueueDashboard(app, app.get(JobProducer), config.adminToken);
  app.connectMicroservice<MicroserviceOptions>(grpcOptions(config.grpcPort, host), { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(config.httpPort, host);
  setGrpcServing(true);
}
