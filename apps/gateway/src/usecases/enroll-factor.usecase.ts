import { Inject, Injectable } from '@nestjs/common';
import { toBuffer } from 'qrcode';
import { Keyring, newId } from '@mfa/crypto';
import { AuditEventType, DomainError, DomainErrorCode, failedPrecondition, isFactorTypeAllowed, resourceExhausted, TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS, type FactorType } from '@mfa/domain';
import { AuditRepository, Database, FactorEntity, factorSecretAad, FactorRepository } from '@mfa/persistence';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import type { GatewayConfig } from '../config/gateway-config';
import { Clock } from '../services/clock';
import type { TenantContext } from '../services/tenant-context';
import { TotpService } from '../services/totp.service';
import { factorView, type FactorView } from '../services/views';

export interface EnrollFactorCommand {
  userId: string;
  type: FactorType;
  label: string;
  locale: string;
}

export interface TotpEnrollment {
  secretBase32: string;
  otpauthUri: string;
  qrPng: Buffer;
  digits: number;
  period: number;
  algorithm: string;
}

export interface EnrollFactorResult {
  factor: FactorView;
  totp?: TotpEnrollment;
  challengeId?: string;
}

/** Enough for every device a person owns; a bound keeps one user from filling the table. */
export const MAX_FACTORS_PER_USER = 20;

@Injectable()
export class EnrollFactorUseCase {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly totp: TotpService,
    private readonly clock: Clock,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async execute(tenant: TenantContext, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    if (!isFactorTypeAllowed(tenant.policy, command.type)) {
      throw failedPrecondition(`factor type ${command.type} is not allowed by the tenant policy`);
    }
    switch (command.type) {
      case 'TOTP':
        return this.enrollTotp(tenant, command);
      default:
        throw new DomainError(DomainErrorCode.Unimplemented, `factor type ${command.type} is not available yet`);
    }
  }

  private async enrollTotp(tenant: TenantContext, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    const now = this.clock.now();
    const secret = this.totp.newSecret();
    const label = command.label || command.userId;
    const factor = Object.assign(new FactorEntity(), {
      id: newId('fac'),
      tenantId: tenant.tenantId,
      userId: command.userId,
      type: 'TOTP' as const,
      status: 'PENDING' as const,
      display: label.slice(0, 255),
      label: command.label,
      locale: command.locale,
      secretEnc: null as string | null,
      destinationEnc: null,
      destinationIndex: null,
      totpLastStep: null,
      totpDrift: 0,
      enrollUrl: null,
      createdAt: now,
      lastUsedAt: null,
    });
    factor.secretEnc = this.keyring.encrypt(secret, factorSecretAad(factor.id));
    await this.database.withUserLock(tenant.tenantId, command.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      if ((await factors.countForUser(tenant.tenantId, command.userId)) >= MAX_FACTORS_PER_USER) {
        throw resourceExhausted('too_many_factors', 0, `a user may hold at most ${MAX_FACTORS_PER_USER} factors`);
      }
      await factors.insert(factor);
      await new AuditRepository(manager).append(
        { tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.FactorEnrolled, factorId: factor.id, details: { type: 'TOTP' } },
        now,
      );
    });
    const otpauthUri = this.totp.uri(this.config.issuer, label, secret);
    return {
      factor: factorView(factor),
      totp: {
        secretBase32: secret,
        otpauthUri,
        qrPng: await toBuffer(otpauthUri, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 256 }),
        digits: TOTP_DIGITS,
        period: TOTP_PERIOD_SECONDS,
        algorithm: TOTP_ALGORITHM,
      },
    };
  }
}
