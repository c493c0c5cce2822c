import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Keyring } from '@mfa/crypto';
import { factorSecretAad, FactorRepository, type FactorEntity } from '@mfa/persistence';
import { TotpService } from './totp.service';

/**
 * Checks a TOTP code for a factor and, when it matches, consumes its time step: the factor's last
 * used step moves to it (a code of that step or any earlier one is refused from then on: replay
 * protection). The caller holds
 * the user lock, so two requests cannot both consume the same step; the write also refuses it.
 */
@Injectable()
export class TotpVerifier {
  constructor(
    private readonly totp: TotpService,
    private readonly keyring: Keyring,
  ) {}

  async verifyAndConsume(manager: EntityManager, factor: FactorEntity, code: string, now: number): Promise<'ok' | 'wrong' | 'replay'> {
    if (!factor.secretEnc) return 'wrong';
    const secret = this.keyring.decryptText(factor.secretEnc, factorSecretAad(factor.id));
    const match = await this.totp.verify(secret, code, { lastUsedStep: factor.totpLastStep, nowMs: now });
    if (!match) {
      // Tell a replayed code apart from a wrong one, for the audit trail only.
      const replayed = factor.totpLastStep !== null && (await this.totp.verify(secret, code, { lastUsedStep: null, nowMs: now }));
      return replayed ? 'replay' : 'wrong';
    }
    const used = Object.assign(factor, { totpLastStep: match.timeStep, lastUsedAt: now });
    await new FactorRepository(manager).saveAcceptedTotpStep(used);
    return 'ok';
  }
}
