import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Keyring } from '@mfa/crypto';
import { type AcceptedTotpSteps, isTotpStepUsed, withTotpStepAccepted } from '@mfa/domain';
import { factorSecretAad, FactorRepository, type FactorEntity } from '@mfa/persistence';
import { TotpService } from './totp.service';

/**
 * Checks a TOTP code for a factor and, when it matches a step the factor has not accepted yet,
 * records that step as accepted (a code of it is refused from then on: replay protection, API.md
 * §1). The caller holds the user lock, so two requests cannot both accept the same step; the
 * write also refuses it.
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
    const accepted: AcceptedTotpSteps = { last: factor.totpLastStep, recent: factor.totpRecentSteps };
    const match = await this.totp.verify(secret, code, { nowMs: now, isUsed: (step) => isTotpStepUsed(accepted, step) });
    if (!match) return 'wrong';
    if (match.used) return 'replay';
    const next = withTotpStepAccepted(accepted, match.timeStep);
    const used = Object.assign(factor, { totpLastStep: next.last, totpRecentSteps: next.recent, lastUsedAt: now });
    await new FactorRepository(manager).saveAcceptedTotpStep(used, accepted);
    return 'ok';
  }
}
