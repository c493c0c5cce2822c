import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * Clients for the standard services the gateway serves next to mfa.v1 (API.md §1): health
 * checking and server reflection, built from the .proto files their server packages ship.
 */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

type Insecure = ReturnType<typeof credentials.createInsecure>;

interface HealthClient {
  Check(request: { service: string }, callback: (error: ServiceError | null, response: { status: string }) => void): void;
  close(): void;
}

/** `grpc.health.v1.Health/Check` for one service name ('' is the server as a whole). */
export function grpcHealthCheck(address: string, service = ''): Promise<string> {
  const protoPath = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto', 'health', 'v1', 'health.proto');
  const definition = loadPackageDefinition(loadSync(protoPath, LOADER_OPTIONS)) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: Insecure) => HealthClient } } };
  };
  const client = new definition.grpc.health.v1.Health(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Check({ service }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response.status);
    });
  });
}

interface ReflectionStream {
  write(request: { list_services: string }): void;
  end(): void;
  on(event: 'data', listener: (response: { list_services_response?: { service: { name: string }[] }; error_response?: { error_message: string } }) => void): void;
  on(event: 'error', listener: (error: ServiceError) => void): void;
}

interface ReflectionClient {
  ServerReflectionInfo(): ReflectionStream;
  close(): void;
}

/** The service names a `grpc.reflection.<version>.ServerReflection` server lists. */
export function reflectionListServices(address: string, version: 'v1' | 'v1alpha'): Promise<string[]> {
  const protoPath = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
  const definition = loadPackageDefinition(loadSync(protoPath, LOADER_OPTIONS)) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: new (address: string, creds: Insecure) => ReflectionClient }> };
  };
  const client = new definition.grpc.reflection[version].ServerReflection(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (response) => {
      stream.end();
      client.close();
      if (response.list_services_response) resolve(response.list_services_response.service.map((s) => s.name));
      else reject(new Error(`reflection answered ${JSON.stringify(response)}`));
    });
    stream.on('error', (error) => {
      client.close();
      reject(error);
    });
    stream.write({ list_services: '' });
  });
}
