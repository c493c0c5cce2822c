import { Injectable } from '@nestjs/common';
import { Database, FactorRepository } from '@mfa/persistence';
import { DuoFactorService } from '../services/duo-factor.service';
import type { TenantContext } from '../services/tenant-context';
import { factorView, type FactorView } from '../services/views';

@Injectable()
export class ListFactorsUseCase {
  constructor(
    private readonly database: Database,
    private readonly duoFactors: DuoFactorService,
  ) {}

  async execute(tenant: TenantContext, userId: string): Promise<FactorView[]> {
    const factors = await new FactorRepository(this.database.manager).listForUser(tenant.tenantId, userId);
    return this.duoFactors.withEnrollUrls(factors).map(factorView);
  }
}
