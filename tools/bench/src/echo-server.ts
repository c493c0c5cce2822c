import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

/**
 * The verify baseline's server, run as its own process like the gateway: a bare @grpc/grpc-js
 * unary echo with pass-through (de)serializers, so it measures gRPC and HTTP/2 and nothing else.
 * Sends its port to the parent over IPC; SIGTERM stops it.
 */
const identity = (value: Buffer): Buffer => value;

export const ECHO_SERVICE: ServiceDefinition = {
  Echo: {
    path: '/bench.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

if (require.main === module) {
  const server = new Server();
  const implementation: UntypedServiceImplementation = {
    Echo: (call: { request: Buffer }, callback: (error: null, value: Buffer) => void) => callback(null, call.request),
  };
  server.addService(ECHO_SERVICE, implementation);
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    process.send?.({ port });
  });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
  process.on('disconnect', () => server.forceShutdown());
}
