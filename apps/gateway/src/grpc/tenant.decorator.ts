import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { TenantContext } from '../services/tenant-context';

/** Tenants resolved by the call interceptor, keyed by the call's metadata object. */
const tenants = new WeakMap<Metadata, TenantContext>();

export function attachTenant(metadata: Metadata, tenant: TenantContext): void {
  tenants.set(metadata, tenant);
}

export function tenantOf(metadata: Metadata): TenantContext {
  const tenant = tenants.get(metadata);
  if (!tenant) throw new Error('no tenant on this call: is GrpcCallInterceptor installed?');
  return tenant;
}

/** The calling tenant, as authenticated from `authorization: Bearer <api key>`. */
export const Tenant = createParamDecorator((_data: unknown, context: ExecutionContext) => tenantOf(context.switchToRpc().getContext<Metadata>()));
