import type { Policy } from '@mfa/domain';

/** Who is calling: resolved from the API key on every request. */
export interface TenantContext {
  tenantId: string;
  tenantName: string;
  policy: Policy;
}
