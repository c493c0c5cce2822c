import { Transport, type GrpcOptions } from '@nestjs/microservices';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { MFA_PACKAGE, MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@mfa/contracts';
import { useStrictRequestDecoding } from './strict-decoding';
import { addServerReflection } from './reflection';

export const MFA_SERVICE_NAME = 'mfa.v1.MfaService';

/**
 * `grpc.health.v1`: SERVING while the gateway takes calls and its dependencies answer;
 * NOT_SERVING before it starts, while it drains, and while the database or Redis does not answer.
 */
export const grpcHealth = new HealthImplementation({ '': 'NOT_SERVING', [MFA_SERVICE_NAME]: 'NOT_SERVING' });

const grpcState = { serving: false, ready: true };

function reportGrpcHealth(): void {
  const state = grpcState.serving && grpcState.ready ? 'SERVING' : 'NOT_SERVING';
  grpcHealth.setStatus('', state);
  grpcHealth.setStatus(MFA_SERVICE_NAME, state);
}

/** Taking calls (true, at start) or draining (false, at shutdown). */
export function setGrpcServing(serving: boolean): void {
  grpcState.serving = serving;
  reportGrpcHealth();
}

/** Whether the database and Redis answer, from the readiness probe. */
export function setGrpcReady(ready: boolean): void {
  grpcState.ready = ready;
  reportGrpcHealth();
}

/** The gRPC transport: mfa.v1 plus server reflection and the standard health service on one port. */
export function grpcOptions(port: number, host = '0.0.0.0'): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: MFA_PACKAGE,
      protoPath: MFA_PROTO_PATH,
      url: `${host}:${port}`,
      loader: PROTO_LOADER_OPTIONS,
      maxReceiveMessageLength: 1024 * 1024,
      gracefulShutdown: true,
      onLoadPackageDefinition: (definition: PackageDefinition, server: Pick<Server, 'addService'>) => {
        useStrictRequestDecoding(definition);
        addServerReflection(server, definition);
        grpcHealth.addToServer(server);
      },
    },
  };
}
