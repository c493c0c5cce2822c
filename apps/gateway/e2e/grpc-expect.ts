import { status, type ServiceError } from '@grpc/grpc-js';

/** Awaits a call that must fail and returns its gRPC error for further checks. */
export async function grpcError(call: Promise<unknown>, expected: status): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    const serviceError = error as ServiceError;
    if (serviceError.code !== expected) {
      throw new Error(`expected ${status[expected]}, got ${status[serviceError.code] ?? serviceError.code}: ${serviceError.details}`);
    }
    return serviceError;
  }
  throw new Error(`expected ${status[expected]}, but the call succeeded`);
}
