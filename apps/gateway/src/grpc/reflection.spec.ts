import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync, type MessageTypeDefinition } from '@grpc/proto-loader';
import { FileDescriptorProto, FileDescriptorSet, type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import { MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@mfa/contracts';
import { grpcOptions } from './grpc-options';

/**
 * Server reflection as grpcurl and other Go/C++ clients use it: a grpc-js server wired by
 * grpcOptions, asked through a real ServerReflectionInfo stream.
 */

type Version = 'v1' | 'v1alpha';
type ReflectionRequest = { list_services: string } | { file_by_filename: string } | { file_containing_symbol: string };

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

interface ReflectionStream {
  write(request: ReflectionRequest): void;
  end(): void;
  on(event: 'data', listener: (response: ReflectionResponse) => void): void;
  on(event: 'error', listener: (error: ServiceError) => void): void;
}

type ReflectionClient = { ServerReflectionInfo(): ReflectionStream; close(): void };
type ReflectionClientConstructor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => ReflectionClient;

function reflectionClient(address: string, version: Version): ReflectionClient {
  const protoRoot = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, { keepCase: true, defaults: true, oneofs: true, includeDirs: [protoRoot] });
  const pkg = loadPackageDefinition(definition) as unknown as { grpc: { reflection: Record<Version, { ServerReflection: ReflectionClientConstructor }> } };
  return new pkg.grpc.reflection[version].ServerReflection(address, credentials.createInsecure());
}

/** One request on its own stream; the answer must not be an error. */
function reflect(address: string, version: Version, request: ReflectionRequest): Promise<ReflectionResponse> {
  const client = reflectionClient(address, version);
  return new Promise<ReflectionResponse>((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.on('data', (response) => {
      stream.end();
      if (response.error_response) reject(new Error(`reflection error: ${response.error_response.error_message}`));
      else resolve(response);
    });
    stream.on('error', reject);
    stream.write(request);
  }).finally(() => client.close());
}

async function servedFiles(address: string, version: Version, request: ReflectionRequest): Promise<IFileDescriptorProto[]> {
  const response = await reflect(address, version, request);
  return (response.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) => FileDescriptorProto.decode(bytes) as IFileDescriptorProto);
}

const named = <T extends { name?: string }>(items: T[] | undefined, name: string): T => {
  const found = items?.find((item) => item.name === name);
  if (!found) throw new Error(`${name} missing from [${items?.map((item) => item.name).join(', ')}]`);
  return found;
};

/** Full names of the messages and enums a file declares. */
function declaredTypes(file: IFileDescriptorProto): Map<string, 'message' | 'enum'> {
  const types = new Map<string, 'message' | 'enum'>();
  const add = (scope: string, message: IDescriptorProto): void => {
    types.set(`${scope}.${message.name}`, 'message');
    message.enumType?.forEach((e) => types.set(`${scope}.${message.name}.${e.name}`, 'enum'));
    message.nestedType?.forEach((nested) => add(`${scope}.${message.name}`, nested));
  };
  file.messageType?.forEach((message) => add(`.${file.package}`, message));
  file.enumType?.forEach((e) => types.set(`.${file.package}.${e.name}`, 'enum'));
  return types;
}

/** What protoc would never write: type names that are relative or point outside the file and its imports. */
function typeNameProblems(files: IFileDescriptorProto[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const visible = new Map([file, ...files.filter((f) => file.dependency?.includes(f.name))].flatMap((f) => [...declaredTypes(f)]));
    const check = (where: string, typeName: string | undefined, kind: 'message' | 'enum'): void => {
      if (!typeName?.startsWith('.') || visible.get(typeName) !== kind) problems.push(`${file.name} ${where}: ${typeName} is not a visible ${kind}`);
    };
    const visit = (message: IDescriptorProto): void => {
      for (const field of message.field ?? []) if (field.type === 11 || field.type === 14) check(`${message.name}.${field.name}`, field.typeName, field.type === 11 ? 'message' : 'enum');
      message.nestedType?.forEach(visit);
    };
    file.messageType?.forEach(visit);
    for (const service of file.service ?? [])
      for (const method of service.method ?? []) {
        check(`${service.name}.${method.name} input`, method.inputType, 'message');
        check(`${service.name}.${method.name} output`, method.outputType, 'message');
      }
  }
  return problems;
}

describe.each(['v1', 'v1alpha'] as const)('gRPC server reflection %s', (version) => {
  let server: Server;
  let address: string;

  beforeAll(async () => {
    server = new Server();
    grpcOptions(0).options.onLoadPackageDefinition?.(loadSync(MFA_PROTO_PATH, PROTO_LOADER_OPTIONS), server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('lists mfa.v1.MfaService, grpc.health.v1.Health and both reflection services', async () => {
    const response = await reflect(address, version, { list_services: '*' });
    expect(response.list_services_response?.service.map((s) => s.name).sort()).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'mfa.v1.MfaService',
    ]);
  });

  it('serves mfa.v1.MfaService from mfa/v1/mfa.proto, also by that file name', async () => {
    const [bySymbol] = await servedFiles(address, version, { file_containing_symbol: 'mfa.v1.MfaService' });
    const [byName] = await servedFiles(address, version, { file_by_filename: 'mfa/v1/mfa.proto' });
    expect(bySymbol.name).toBe('mfa/v1/mfa.proto');
    expect(bySymbol.syntax).toBe('proto3');
    expect(byName).toEqual(bySymbol);
  });

  it('describes AuditEvent.details as protoc does: a DetailsEntry map entry under its full name', async () => {
    const [file] = await servedFiles(address, version, { file_containing_symbol: 'mfa.v1.AuditEvent' });
    const auditEvent = named(file.messageType, 'AuditEvent');
    expect(named(auditEvent.field, 'details')).toMatchObject({ number: 7, label: 3, type: 11, typeName: '.mfa.v1.AuditEvent.DetailsEntry' });
    const entry = named(auditEvent.nestedType, 'DetailsEntry');
    expect(entry.options?.mapEntry).toBe(true);
    expect(entry.field?.map((f) => [f.name, f.number, f.label, f.type])).toEqual([
      ['key', 1, 1, 9],
      ['value', 2, 1, 9],
    ]);
  });

  it('resolves grpc.health.v1.Health to grpc/health/v1/health.proto with its StatusesEntry map', async () => {
    const [file] = await servedFiles(address, version, { file_containing_symbol: 'grpc.health.v1.Health' });
    expect(file.name).toBe('grpc/health/v1/health.proto');
    const statuses = named(named(file.messageType, 'HealthListResponse').nestedType, 'StatusesEntry');
    expect(named(statuses.field, 'value').typeName).toBe('.grpc.health.v1.HealthCheckResponse');
  });

  it.each(['mfa.v1.MfaService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'])(
    'serves %s with only fully qualified type names that resolve within its files',
    async (service) => {
      expect(typeNameProblems(await servedFiles(address, version, { file_containing_symbol: service }))).toEqual([]);
    },
  );

  it('serves descriptors protobufjs loads, and that decode what the gateway encodes', async () => {
    const files = await servedFiles(address, version, { file_containing_symbol: 'mfa.v1.MfaService' });
    const reflected = loadFileDescriptorSetFromBuffer(Buffer.from(FileDescriptorSet.encode({ file: files }).finish()), { keepCase: true });
    expect(Object.keys(reflected['mfa.v1.MfaService'])).toHaveLength(15);

    const gateway = loadSync(MFA_PROTO_PATH, PROTO_LOADER_OPTIONS)['mfa.v1.AuditEvent'] as MessageTypeDefinition<object, object>;
    const bytes = gateway.serialize({ id: 'e1', details: { ip: '192.0.2.1' } });
    // protobufjs reads a reflected map as its repeated entries; the wire format is the same.
    const decoded = (reflected['mfa.v1.AuditEvent'] as MessageTypeDefinition<object, object>).deserialize(bytes);
    expect(decoded).toMatchObject({ id: 'e1', details: [{ key: 'ip', value: '192.0.2.1' }] });
  });
});
