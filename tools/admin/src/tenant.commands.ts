import { TenantAdmin, TenantRepository } from '@mfa/persistence';
import { withDatabase } from './admin-environment';
import { type Command, type CommandGroup, CliError, UsageError } from './command';
import { formatTable, isoTime } from './format';
import { findTenant } from './tenant-lookup';

const MAX_NAME_LENGTH = 255;

const createTenant: Command = {
  name: 'create',
  summary: 'Create a tenant and print its first API key (shown once)',
  usage: '--name NAME',
  options: [{ name: 'name', placeholder: 'NAME', description: 'unique tenant name' }],
  async run(options, { env, stdout }) {
    const name = options.required('name');
    if (name !== name.trim() || name.length > MAX_NAME_LENGTH) {
      throw new UsageError(`tenant create: --name must be 1-${MAX_NAME_LENGTH} characters without surrounding spaces`);
    }
    await withDatabase(env, async (database) => {
      const existing = await new TenantRepository(database.manager).findByName(name);
      if (existing) throw new CliError(`a tenant named "${name}" already exists (${existing.id})`);
      const admin = new TenantAdmin(database);
      const tenant = await admin.createTenant(name);
      const issued = await admin.issueApiKey(tenant.id, 'initial');
      stdout.write(`Tenant: ${tenant.id} (${tenant.name})\n`);
      stdout.write(`API key: ${issued.apiKey}\n`);
      stdout.write(`Key id: ${issued.id}\n`);
      stdout.write('Store the API key now: it is not shown again.\n');
    });
  },
};

const listTenants: Command = {
  name: 'list',
  summary: 'List tenants',
  usage: '',
  options: [],
  async run(_options, { env, stdout }) {
    const tenants = await withDatabase(env, (database) => new TenantRepository(database.manager).list());
    if (tenants.length === 0) {
      stdout.write('No tenants.\n');
      return;
    }
    stdout.write(formatTable(['ID', 'NAME', 'CREATED'], tenants.map((t) => [t.id, t.name, isoTime(t.createdAt)])));
  },
};

const revokeTenant: Command = {
  name: 'revoke',
  summary: "Revoke every API key of a tenant: its callers get UNAUTHENTICATED (factors are kept)",
  usage: '--tenant ID_OR_NAME',
  options: [{ name: 'tenant', placeholder: 'ID_OR_NAME', description: 'the tenant' }],
  async run(options, { env, stdout }) {
    await withDatabase(env, async (database) => {
      const tenant = await findTenant(database.manager, options.required('tenant'));
      const tenants = new TenantRepository(database.manager);
      const active = (await tenants.listApiKeys(tenant.id)).filter((key) => key.revokedAt === null);
      const now = Date.now();
      for (const key of active) await tenants.revokeApiKey(key.id, now);
      stdout.write(`Tenant ${tenant.id} (${tenant.name}): ${active.length} API key(s) revoked.\n`);
    });
  },
};

export const tenantCommands: CommandGroup = { name: 'tenant', commands: [createTenant, listTenants, revokeTenant] };
