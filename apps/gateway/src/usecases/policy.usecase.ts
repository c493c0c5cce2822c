import { Injectable } from '@nestjs/common';
import { AuditEventType, normalizePolicy, type Policy, type PolicyInput } from '@mfa/domain';
import { AuditRepository, Database, TenantRepository } from '@mfa/persistence';
import { Clock } from '../services/clock';
import { encodePolicy } from '../services/policy-codec';
import type { TenantContext } from '../services/tenant-context';

@Injectable()
export class SetPolicyUseCase {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Replaces the whole policy (a numeric 0 means the default). */
  async execute(tenant: TenantContext, input: PolicyInput): Promise<Policy> {
    const policy = normalizePolicy(input);
    await this.database.transaction(async (manager) => {
      await new TenantRepository(manager).savePolicy(tenant.tenantId, encodePolicy(policy));
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId: '', type: AuditEventType.PolicyUpdated, details: { policy: encodePolicy(policy) } }, this.clock.now());
    }, `tenant:${tenant.tenantId}`);
    return policy;
  }
}
