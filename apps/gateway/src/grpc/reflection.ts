import { dirname, join } from 'node:path';
import { loadSync, type AnyDefinition, type PackageDefinition, type ProtobufTypeDefinition } from '@grpc/proto-loader';
import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import { toProtocDescriptors } from './protoc-descriptors';

/**
 * Each reflected file under the name protoc gives it, its path below the proto root. Health and
 * reflection use the paths they have in the grpc repository, as grpc-go and grpc-java serve them
 * (grpc-health-check ships health.proto one folder higher).
 */
export const PROTOC_FILE_NAMES: Readonly<Record<string, string>> = {
  'mfa.v1': 'mfa/v1/mfa.proto',
  'grpc.health.v1': 'grpc/health/v1/health.proto',
  'grpc.reflection.v1': 'grpc/reflection/v1/reflection.proto',
  'grpc.reflection.v1alpha': 'grpc/reflection/v1alpha/reflection.proto',
};

/** Where @grpc/reflection keeps the .proto files of the services it adds. */
const REFLECTION_PROTO_ROOT = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');

// keepCase: descriptors must carry field names as written in the .proto, as protoc's do.
const LOADER_OPTIONS = { keepCase: true };

/** The services served beside mfa.v1, from the .proto files of the packages that serve them. */
function standardServiceDefinitions(): PackageDefinition[] {
  return [
    loadSync(HEALTH_PROTO_PATH, LOADER_OPTIONS),
    loadSync('grpc/reflection/v1/reflection.proto', { ...LOADER_OPTIONS, includeDirs: [REFLECTION_PROTO_ROOT] }),
    loadSync('grpc/reflection/v1alpha/reflection.proto', { ...LOADER_OPTIONS, includeDirs: [REFLECTION_PROTO_ROOT] }),
  ];
}

/**
 * Serves gRPC server reflection (v1 and v1alpha) for mfa.v1, grpc.health.v1 and reflection
 * itself, with descriptors as protoc writes them so that Go and C++ clients such as grpcurl
 * accept them.
 */
export function addServerReflection(server: Pick<Server, 'addService'>, mfaDefinition: PackageDefinition): void {
  const definition: PackageDefinition = Object.assign({}, mfaDefinition, ...standardServiceDefinitions());
  const files = toProtocDescriptors(uniqueFileDescriptors(definition), PROTOC_FILE_NAMES);
  new ReflectionService(withFileDescriptors(definition, files)).addToServer(server);
}

function isProtobufType(entry: AnyDefinition): entry is AnyDefinition & ProtobufTypeDefinition {
  return Array.isArray((entry as Partial<ProtobufTypeDefinition>).fileDescriptorProtos);
}

/** proto-loader hands every message and enum the same encoded files of its load. */
function uniqueFileDescriptors(definition: PackageDefinition): Buffer[] {
  return [...new Set(Object.values(definition).flatMap((entry) => (isProtobufType(entry) ? entry.fileDescriptorProtos : [])))];
}

/** ReflectionService reads nothing of a package definition but the messages' file descriptors. */
function withFileDescriptors(definition: PackageDefinition, files: Buffer[]): PackageDefinition {
  const entries = Object.entries(definition).map(([name, entry]) => [name, isProtobufType(entry) ? { ...entry, fileDescriptorProtos: files } : entry]);
  return Object.fromEntries(entries) as PackageDefinition;
}
