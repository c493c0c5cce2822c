import { Injectable } from '@nestjs/common';
import { newId, newSalt, saltedHash, secureRandomBytes } from '@mfa/crypto';
import { AuditEventType, formatRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeFromBytes } from '@mfa/domain';
import { AuditRepository, Database, RecoveryCodeEntity, RecoveryCodeRepository } from '@mfa/persistence';
import { Clock } from '../services/clock';
import type { TenantContext } from '../services/tenant-context';

/** Ten single-use codes of 80 random bits each; a new set voids the old one (OWASP ASVS 2.6). */
@Injectable()
export class GenerateRecoveryCodesUseCase {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, userId: string): Promise<string[]> {
    const now = this.clock.now();
    const raw = Array.from({ length: RECOVERY_CODE_COUNT }, () => recoveryCodeFromBytes(secureRandomBytes(10)));
    const rows = raw.map((code) => {
      const salt = newSalt();
      return Object.assign(new RecoveryCodeEntity(), { id: newId('rcv'), tenantId: tenant.tenantId, userId, salt, codeHash: saltedHash(code, salt), createdAt: now, usedAt: null });
    });
    await this.database.withUserLock(tenant.tenantId, userId, async (manager) => {
      await new RecoveryCodeRepository(manager).replaceSet(tenant.tenantId, userId, rows);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId, type: AuditEventType.RecoveryCodesGenerated, details: { count: String(rows.length) } }, now);
    });
    return raw.map(formatRecoveryCode);
  }
}
