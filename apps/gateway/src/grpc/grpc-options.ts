import { Transport, type GrpcOptions } from '@nestjs/microservices';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { MFA_PACKAGE, MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@mfa/contracts';
import { useStrictRequestDecoding } from './strict-decoding';
import { addServerReflection } from './reflection';

export const MFA_SERVICE_NAME = 'mfa.v1.MfaService';

/** `grpc.health.v1`: SERVING while the gateway takes calls, NOT_SERVING while it drains. */
export const grpcHealth = new HealthImplementation({ '': 'NOT_SERVING', [MFA_SERVICE_NAME]: 'NOT_SERVING' });

export function setGrpcServing(serving: boolean): void {
  const state = serving ? 'SERVING' : 'NOT_SERVING';
  grpcHealth.setStatus('', state);
  grpcHealth.setStatus(MFA_SERVICE_NAME, state);
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
