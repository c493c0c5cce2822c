import { Injectable } from '@nestjs/common';
import { Database, FactorRepository } from '@mfa/persistence';
import type { TenantContext } from '../services/tenant-context';
import { factorView, type FactorView } from '../services/views';

@Injectable()
export class ListFactorsUseCase {
  constructor(private readonly database: Database) {}

  async execute(tenant: TenantContext, userId: string): Promise<FactorView[]> {
    const factors = await new FactorRepository(this.database.manager).listForUser(tenant.tenantId, userId);
    return factors.map(factorView);
  }
}
