import { Inject, Injectable } from '@nestjs/common';
import { blindIndex, blindIndexes, Keyring } from '@mfa/crypto';
import { AuditEventType, DomainError, DomainErrorCode, failedPrecondition, notFound, type FactorStatus } from '@mfa/domain';
import { AuditRepository, Database, factorDestinationAad, factorEnrollUrlAad, FactorRepository, type FactorEntity } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import type { DuoPreauthOutcome } from '@mfa/queue';
import { Clock } from './clock';
import { destinationIdentity, type Destination } from './destination';
import { DuoClient, type DuoPreauthAnswer } from './duo-client.service';
import { LOGGER } from './logger.provider';
import type { TenantContext } from './tenant-context';

const STATUS_OF: Record<DuoPreauthOutcome, FactorStatus> = { auth: 'ACTIVE', allow: 'ACTIVE', enroll: 'PENDING', deny: 'FAILED' };

/**
 * DUO factors: Duo decides whether the user can authenticate. Enrollment runs Duo's preauth:
 * `auth` (or `allow`) makes the factor ACTIVE, `enroll` leaves it PENDING with Duo's enrollment
 * portal, `deny` makes it FAILED; ConfirmEnrollment asks Duo again. The portal URL lets whoever
 * opens it enroll a device for the Duo user: it is stored sealed and opened only for a response.
 */
@Injectable()
export class DuoFactorService {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly duo: DuoClient,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Records the new factor, asks Duo; if Duo cannot be reached the factor is not kept. */
  async enroll(tenant: TenantContext, factor: FactorEntity, destination: Destination, assertRoom: (factors: FactorRepository) => Promise<void>): Promise<FactorEntity> {
    const identity = destinationIdentity(destination.address);
    factor.destinationEnc = this.keyring.encrypt(destination.address, factorDestinationAad(factor.id));
    factor.destinationIndex = blindIndex(this.keyring, identity);
    await this.database.withUserLock(tenant.tenantId, factor.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const existing = await factors.findByDestination(tenant.tenantId, factor.userId, 'DUO', blindIndexes(this.keyring, identity));
      if (existing?.status === 'ACTIVE') throw new DomainError(DomainErrorCode.AlreadyExists, 'this Duo user is already enrolled for the user');
      if (existing) await factors.delete(existing.id);
      await assertRoom(factors);
      await factors.insert(factor);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId: factor.userId, type: AuditEventType.FactorEnrolled, factorId: factor.id, details: { type: 'DUO' } }, this.clock.now());
    });
    try {
      return await this.applyPreauth(factor, await this.duo.preauth(factor.id, destination.address));
    } catch (error) {
      await this.database.withUserLock(tenant.tenantId, factor.userId, (manager) => new FactorRepository(manager).delete(factor.id));
      throw error;
    }
  }

  /** ConfirmEnrollment for DUO: ask Duo again (the user may have finished Duo's enrollment). */
  async recheck(factor: FactorEntity): Promise<FactorEntity> {
    if (factor.status === 'ACTIVE') throw failedPrecondition('factor is active, not pending confirmation');
    if (!factor.destinationEnc) throw notFound('factor');
    const username = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    return this.applyPreauth(factor, await this.duo.preauth(factor.id, username));
  }

  /**
   * Opens the portal URL of each pending DUO factor among `factors` (for ListFactors,
   * GetUserStatus); returns them. Only PENDING ones: a gateway of the previous release that
   * activated a factor emptied `enroll_url` but not the sealed column it does not know.
   */
  withEnrollUrls(factors: FactorEntity[]): FactorEntity[] {
    for (const factor of factors) factor.enrollUrl = factor.status === 'PENDING' ? this.openEnrollUrl(factor) : null;
    return factors;
  }

  /** A URL that does not open (its key retired) is left out, not an error: it would fail the whole user's answer. */
  private openEnrollUrl(factor: FactorEntity): string | null {
    // Stored in clear before it was sealed, and not sealed yet (see LegacyEnrollUrlSealer).
    if (!factor.enrollUrlEnc) return factor.legacyEnrollUrl ?? null;
    try {
      return this.keyring.decryptText(factor.enrollUrlEnc, factorEnrollUrlAad(factor.id));
    } catch (error) {
      this.logger.warn({ factorId: factor.id, reason: (error as Error).message }, 'Duo enrollment portal URL does not open; answered without it (ConfirmEnrollment fetches a new one)');
      return null;
    }
  }

  private async applyPreauth(factor: FactorEntity, result: DuoPreauthAnswer): Promise<FactorEntity> {
    const now = this.clock.now();
    const enrollUrl = result.result === 'enroll' ? result.enrollPortalUrl : null;
    return this.database.withUserLock(factor.tenantId, factor.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const current = await factors.findById(factor.id);
      if (!current) throw notFound('factor');
      current.status = STATUS_OF[result.result];
      current.enrollUrlEnc = enrollUrl === null ? null : this.keyring.encrypt(enrollUrl, factorEnrollUrlAad(current.id));
      // A plaintext URL from before is superseded (or the factor no longer pending): it goes too.
      current.legacyEnrollUrl = null;
      current.enrollUrl = enrollUrl;
      await factors.save(current);
      await new AuditRepository(manager).append(
        {
          tenantId: current.tenantId,
          userId: current.userId,
          type: current.status === 'ACTIVE' ? AuditEventType.FactorConfirmed : AuditEventType.FactorEnrolled,
          factorId: current.id,
          details: { duo_preauth: result.result, reason: result.statusMessage.slice(0, 200) },
        },
        now,
      );
      return current;
    });
  }
}
