import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { blindIndex, blindIndexes, Keyring, newId, newSecretToken } from '@mfa/crypto';
import {
  AuditEventType,
  DomainError,
  DomainErrorCode,
  failedPrecondition,
  isFactorTypeAllowed,
  isOutOfBand,
  resourceExhausted,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  type FactorType,
  type OutOfBandFactorType,
} from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, EnrollmentTicketEntity, EnrollmentTicketRepository, FactorEntity, factorDestinationAad, factorSecretAad, FactorRepository, type ChallengeEntity } from '@mfa/persistence';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { ChallengeFactory } from '../services/challenge-factory.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { DeliveryWithdrawal } from '../services/delivery-withdrawal.service';
import { DuoFactorService } from '../services/duo-factor.service';
import { assertCountryAllowed, destinationIdentity, type Destination } from '../services/destination';
import { SendRateLimiter } from '../services/send-rate-limiter';
import type { TenantContext } from '../services/tenant-context';
import { qrPng } from '../services/qr-png';
import { TotpService } from '../services/totp.service';
import { factorView, type FactorView } from '../services/views';
import { enrollmentTicketHash } from './enroll-device.usecase';

export interface EnrollFactorCommand {
  userId: string;
  type: FactorType;
  label: string;
  locale: string;
  /** SMS, VOICE, EMAIL: the validated address. */
  destination?: Destination;
}

export interface TotpEnrollment {
  secretBase32: string;
  otpauthUri: string;
  qrPng: Buffer;
  digits: number;
  period: number;
  algorithm: string;
}

export interface PushEnrollment {
  ticket: string;
  uri: string;
  qrPng: Buffer;
  expiresAt: number;
}

export interface EnrollFactorResult {
  factor: FactorView;
  totp?: TotpEnrollment;
  push?: PushEnrollment;
  challengeId?: string;
}

/** A push enrollment ticket is single use and lives this long (API.md §2). */
export const ENROLLMENT_TICKET_TTL_MS = 10 * 60_000;

/** Enough for every device a person owns; a bound keeps one user from filling the table. */
export const MAX_FACTORS_PER_USER = 20;

const ADDRESS_NAME: Record<OutOfBandFactorType, string> = { SMS: 'phone number', VOICE: 'phone number', EMAIL: 'email address' };

@Injectable()
export class EnrollFactorUseCase {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly totp: TotpService,
    private readonly challenges: ChallengeFactory,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly withdrawal: DeliveryWithdrawal,
    private readonly rateLimiter: SendRateLimiter,
    private readonly duoFactors: DuoFactorService,
    private readonly clock: Clock,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async execute(tenant: TenantContext, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    if (!isFactorTypeAllowed(tenant.policy, command.type)) {
      throw failedPrecondition(`factor type ${command.type} is not allowed by the tenant policy`);
    }
    if (command.type === 'TOTP') return this.enrollTotp(tenant, command);
    if (command.type === 'PUSH') return this.enrollPush(tenant, command);
    if (command.type === 'DUO' && command.destination) {
      const factor = this.newFactor(tenant, command, command.destination.display, this.clock.now());
      const enrolled = await this.duoFactors.enroll(tenant, factor, command.destination, (factors) => this.assertRoomForFactor(factors, tenant, command.userId));
      return { factor: factorView(enrolled) };
    }
    if (isOutOfBand(command.type) && command.destination) return this.enrollOutOfBand(tenant, command.type, command.destination, command);
    throw new DomainError(DomainErrorCode.Internal, `no enrollment for factor type ${command.type}`);
  }

  private newFactor(tenant: TenantContext, command: EnrollFactorCommand, display: string, now: number): FactorEntity {
    return Object.assign(new FactorEntity(), {
      id: newId('fac'),
      tenantId: tenant.tenantId,
      userId: command.userId,
      type: command.type,
      status: 'PENDING' as const,
      display: display.slice(0, 255),
      label: command.label,
      locale: command.locale,
      secretEnc: null as string | null,
      destinationEnc: null as string | null,
      destinationIndex: null as string | null,
      totpLastStep: null,
      totpRecentSteps: null,
      totpDrift: 0,
      enrollUrl: null,
      createdAt: now,
      lastUsedAt: null,
    });
  }

  /**
   * A TOTP or PUSH enrollment left unconfirmed for longer than a push ticket lives was abandoned
   * (the QR code never scanned, the first code never typed): a new enrollment of the same type
   * removes it, so abandoned attempts neither pile up in ListFactors nor use up the factor limit.
   */
  private async discardAbandonedEnrollments(manager: EntityManager, tenant: TenantContext, userId: string, type: 'TOTP' | 'PUSH', now: number): Promise<void> {
    const factors = new FactorRepository(manager);
    const abandoned = (await factors.listForUser(tenant.tenantId, userId)).filter((f) => f.type === type && f.status === 'PENDING' && f.createdAt <= now - ENROLLMENT_TICKET_TTL_MS);
    for (const factor of abandoned) {
      await factors.delete(factor.id);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId, type: AuditEventType.FactorDeleted, factorId: factor.id, details: { type, cause: 'abandoned_enrollment' } }, now);
    }
  }

  private async assertRoomForFactor(factors: FactorRepository, tenant: TenantContext, userId: string): Promise<void> {
    if ((await factors.countForUser(tenant.tenantId, userId)) >= MAX_FACTORS_PER_USER) {
      throw resourceExhausted('too_many_factors', 0, `a user may hold at most ${MAX_FACTORS_PER_USER} factors`);
    }
  }

  private async enrollTotp(tenant: TenantContext, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    const now = this.clock.now();
    const secret = this.totp.newSecret();
    const label = command.label || command.userId;
    const factor = this.newFactor(tenant, command, label, now);
    factor.secretEnc = this.keyring.encrypt(secret, factorSecretAad(factor.id));
    await this.database.withUserLock(tenant.tenantId, command.userId, async (manager) => {
      await this.discardAbandonedEnrollments(manager, tenant, command.userId, 'TOTP', now);
      await this.assertRoomForFactor(new FactorRepository(manager), tenant, command.userId);
      await new FactorRepository(manager).insert(factor);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.FactorEnrolled, factorId: factor.id, details: { type: 'TOTP' } }, now);
    });
    const otpauthUri = this.totp.uri(this.config.issuer, label, secret);
    return {
      factor: factorView(factor),
      totp: {
        secretBase32: secret,
        otpauthUri,
        qrPng: qrPng(otpauthUri),
        digits: TOTP_DIGITS,
        period: TOTP_PERIOD_SECONDS,
        algorithm: TOTP_ALGORITHM,
      },
    };
  }

  /**
   * PUSH: a pending factor and a single-use ticket (stored as its hash) that the authenticator
   * app redeems at POST /device/v1/enroll, found in the URI and QR code it scans.
   */
  private async enrollPush(tenant: TenantContext, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    const now = this.clock.now();
    const label = command.label || command.userId;
    const factor = this.newFactor(tenant, command, command.label || 'Authenticator', now);
    const ticket = newSecretToken(32);
    const expiresAt = now + ENROLLMENT_TICKET_TTL_MS;
    await this.database.withUserLock(tenant.tenantId, command.userId, async (manager) => {
      await this.discardAbandonedEnrollments(manager, tenant, command.userId, 'PUSH', now);
      await this.assertRoomForFactor(new FactorRepository(manager), tenant, command.userId);
      await new FactorRepository(manager).insert(factor);
      await new EnrollmentTicketRepository(manager).insert(
        Object.assign(new EnrollmentTicketEntity(), { ticketHash: enrollmentTicketHash(ticket), tenantId: tenant.tenantId, factorId: factor.id, expiresAt, usedAt: null }),
      );
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.FactorEnrolled, factorId: factor.id, details: { type: 'PUSH' } }, now);
    });
    const query = [`v=1`, `ticket=${encodeURIComponent(ticket)}`, `base_url=${encodeURIComponent(this.config.publicBaseUrl)}`, `issuer=${encodeURIComponent(this.config.issuer)}`, `label=${encodeURIComponent(label)}`].join('&');
    const uri = `mfa-push://enroll?${query}`;
    return { factor: factorView(factor), push: { ticket, uri, qrPng: qrPng(uri), expiresAt } };
  }

  /** SMS, voice, e-mail: store the address sealed, and send a code to prove the user owns it. */
  private async enrollOutOfBand(tenant: TenantContext, type: OutOfBandFactorType, destination: Destination, command: EnrollFactorCommand): Promise<EnrollFactorResult> {
    assertCountryAllowed(tenant.policy, type, destination);
    const now = this.clock.now();
    const identity = destinationIdentity(destination.address);
    const factor = this.newFactor(tenant, command, destination.display, now);
    factor.destinationEnc = this.keyring.encrypt(destination.address, factorDestinationAad(factor.id));
    factor.destinationIndex = blindIndex(this.keyring, identity);

    const { challenge, replacedCheck } = await this.database.withUserLock(tenant.tenantId, command.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const existing = await factors.findByDestination(tenant.tenantId, command.userId, type, blindIndexes(this.keyring, identity));
      if (existing?.status === 'ACTIVE') throw new DomainError(DomainErrorCode.AlreadyExists, `this ${ADDRESS_NAME[type]} is already enrolled for the user`);
      let replacedCheck: ChallengeEntity | null = null;
      if (existing) {
        // An unconfirmed or failed enrollment of the same address: the new one replaces it.
        replacedCheck = await new ChallengeRepository(manager).findPendingEnrollment(existing.id);
        if (replacedCheck) await this.lifecycle.settle(manager, replacedCheck, { type: 'cancel' }, now);
        await factors.delete(existing.id);
      }
      await this.assertRoomForFactor(new FactorRepository(manager), tenant, command.userId);
      await this.rateLimiter.consume(tenant.tenantId, command.userId, factor.destinationIndex!);
      await factors.insert(factor);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.FactorEnrolled, factorId: factor.id, details: { type } }, now);
      const created = await this.challenges.create(manager, tenant, factor, { purpose: 'enrollment', locale: command.locale, idempotencyKey: '', context: null }, now);
      return { challenge: created, replacedCheck };
    });
    if (replacedCheck) {
      // The replaced enrollment's check is CANCELED: its code, if still queued, is not sent, and
      // its watchers hear it at once, not at their next poll.
      await this.withdrawal.withdraw([replacedCheck]);
      await this.notifier.publish(replacedCheck.id);
    }
    await this.challenges.dispatch(challenge, factor);
    return { factor: factorView(factor), challengeId: challenge.id };
  }
}
