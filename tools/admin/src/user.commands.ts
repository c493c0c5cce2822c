import { AuditEventType, isLocked, maskContactDetails } from '@mfa/domain';
import { AuditRepository, FactorRepository, type UserStateEntity, UserStateRepository } from '@mfa/persistence';
import { withDatabase } from './admin-environment';
import type { Command, CommandGroup, OptionSpec } from './command';
import { formatTable, isoTime } from './format';
import { findTenant } from './tenant-lookup';

const userOptions: readonly OptionSpec[] = [
  { name: 'tenant', placeholder: 'ID_OR_NAME', description: 'the user\'s tenant' },
  { name: 'user', placeholder: 'USER_ID', description: 'the user id the tenant uses in API calls' },
];

function describeLockout(state: UserStateEntity | null, now: number): string {
  if (!state) return 'not locked (no failed attempts recorded)';
  const failures = `${state.consecutiveFailures} consecutive failures`;
  const lockout = { consecutiveFailures: state.consecutiveFailures, lockedUntilMs: state.lockedUntil };
  return isLocked(lockout, now) ? `locked until ${isoTime(state.lockedUntil)} (${failures})` : `not locked (${failures})`;
}

const showUser: Command = {
  name: 'show',
  summary: 'Show a user\'s factors (masked) and lockout state',
  usage: '--tenant ID_OR_NAME --user USER_ID',
  options: userOptions,
  async run(options, { env, stdout }) {
    const tenantRef = options.required('tenant');
    const userId = options.required('user');
    await withDatabase(env, async (database) => {
      const tenant = await findTenant(database.manager, tenantRef);
      const factors = await new FactorRepository(database.manager).listForUser(tenant.id, userId);
      const state = await new UserStateRepository(database.manager).find(tenant.id, userId);
      stdout.write(`User ${userId} in tenant ${tenant.name} (${tenant.id})\n`);
      stdout.write(`Lockout: ${describeLockout(state, Date.now())}\n`);
      if (factors.length === 0) {
        stdout.write('Factors: none\n');
        return;
      }
      // Only what FactorEntity keeps for display, masked as the gateway shows it (a label is the
      // caller's free text and may hold an address or a number); secrets and addresses stay encrypted.
      const rows = factors.map((f) => [f.id, f.type, f.status, maskContactDetails(f.display), isoTime(f.createdAt), isoTime(f.lastUsedAt)]);
      stdout.write(`Factors:\n${formatTable(['ID', 'TYPE', 'STATUS', 'DISPLAY', 'CREATED', 'LAST USED'], rows)}`);
    });
  },
};

const unlockUser: Command = {
  name: 'unlock',
  summary: 'Clear a user\'s lockout and failure count (audited as user_unlocked)',
  usage: '--tenant ID_OR_NAME --user USER_ID',
  options: userOptions,
  async run(options, { env, stdout }) {
    const tenantRef = options.required('tenant');
    const userId = options.required('user');
    await withDatabase(env, async (database) => {
      const tenant = await findTenant(database.manager, tenantRef);
      // withUserLock creates a state row when there is none; a mistyped user id should not.
      if (!(await new UserStateRepository(database.manager).find(tenant.id, userId))) {
        stdout.write(`User ${userId} has no failed attempts recorded; nothing to unlock.\n`);
        return;
      }
      const before = await database.withUserLock(tenant.id, userId, async (manager, state) => {
        const now = Date.now();
        const previous = describeLockout(state, now);
        await new UserStateRepository(manager).save(Object.assign(state, { consecutiveFailures: 0, lockedUntil: null, updatedAt: now }));
        await new AuditRepository(manager).append({ tenantId: tenant.id, userId, type: AuditEventType.UserUnlocked, details: { by: 'mfa-admin', previous } }, now);
        return previous;
      });
      stdout.write(`Unlocked user ${userId} in tenant ${tenant.name} (was ${before}).\n`);
    });
  },
};

export const userCommands: CommandGroup = { name: 'user', commands: [showUser, unlockUser] };
