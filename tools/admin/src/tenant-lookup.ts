import type { EntityManager } from 'typeorm';
import { type TenantEntity, TenantRepository } from '@mfa/persistence';
import { CliError } from './command';

/** Operators name tenants either way: by id (`ten_…`) or by name. */
export async function findTenant(manager: EntityManager, idOrName: string): Promise<TenantEntity> {
  const tenants = new TenantRepository(manager);
  const tenant = (await tenants.findById(idOrName)) ?? (await tenants.findByName(idOrName));
  if (!tenant) throw new CliError(`no tenant with id or name "${idOrName}"`);
  return tenant;
}
