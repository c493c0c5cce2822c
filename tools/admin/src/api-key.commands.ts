import { ApiKeyEntity, TenantAdmin, TenantRepository } from '@mfa/persistence';
import { withDatabase } from './admin-environment';
import { type Command, type CommandGroup, CliError } from './command';
import { formatTable, isoTime } from './format';
import { findTenant } from './tenant-lookup';

const createApiKey: Command = {
  name: 'create',
  summary: 'Issue another API key for a tenant (shown once)',
  usage: '--tenant ID_OR_NAME [--label LABEL]',
  options: [
    { name: 'tenant', placeholder: 'ID_OR_NAME', description: 'the tenant that owns the key' },
    { name: 'label', placeholder: 'LABEL', description: 'a note telling keys apart, e.g. "billing-service"' },
  ],
  async run(options, { env, stdout }) {
    const tenantRef = options.required('tenant');
    const label = options.optional('label') ?? '';
    await withDatabase(env, async (database) => {
      const tenant = await findTenant(database.manager, tenantRef);
      const issued = await new TenantAdmin(database).issueApiKey(tenant.id, label);
      stdout.write(`API key: ${issued.apiKey}\n`);
      stdout.write(`Key id: ${issued.id} (tenant ${tenant.name})\n`);
      stdout.write('Store the API key now: it is not shown again.\n');
    });
  },
};

const listApiKeys: Command = {
  name: 'list',
  summary: 'List API keys (prefixes only, never the keys)',
  usage: '[--tenant ID_OR_NAME]',
  options: [{ name: 'tenant', placeholder: 'ID_OR_NAME', description: 'only this tenant\'s keys' }],
  async run(options, { env, stdout }) {
    const tenantRef = options.optional('tenant');
    const { keys, tenantNames } = await withDatabase(env, async (database) => {
      const repository = new TenantRepository(database.manager);
      const tenantId = tenantRef === undefined ? undefined : (await findTenant(database.manager, tenantRef)).id;
      const tenants = await repository.list();
      return { keys: await repository.listApiKeys(tenantId), tenantNames: new Map(tenants.map((t) => [t.id, t.name])) };
    });
    if (keys.length === 0) {
      stdout.write('No API keys.\n');
      return;
    }
    const rows = keys.map((k) => [k.id, tenantNames.get(k.tenantId) ?? k.tenantId, `${k.keyPrefix}…`, k.label, isoTime(k.createdAt), isoTime(k.revokedAt)]);
    stdout.write(formatTable(['ID', 'TENANT', 'PREFIX', 'LABEL', 'CREATED', 'REVOKED'], rows));
  },
};

const revokeApiKey: Command = {
  name: 'revoke',
  summary: 'Revoke an API key; requests using it are refused from then on',
  usage: '--id KEY_ID',
  options: [{ name: 'id', placeholder: 'KEY_ID', description: 'the key id (key_…), as shown by api-key list' }],
  async run(options, { env, stdout }) {
    const id = options.required('id');
    await withDatabase(env, async (database) => {
      const key = await database.manager.findOne(ApiKeyEntity, { where: { id } });
      if (!key) throw new CliError(`no API key with id "${id}"`);
      const revoked = await new TenantRepository(database.manager).revokeApiKey(id, Date.now());
      if (!revoked) throw new CliError(`API key ${id} is already revoked`);
      stdout.write(`Revoked API key ${id} (${key.keyPrefix}…).\n`);
    });
  },
};

export const apiKeyCommands: CommandGroup = { name: 'api-key', commands: [createApiKey, listApiKeys, revokeApiKey] };
