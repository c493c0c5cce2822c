import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertUnreachable, DomainError, DomainErrorCode, invalidArgument, isOutOfBand, TOTP_DIGITS } from '@mfa/domain';
import type { ChallengeEntity, FactorEntity } from '@mfa/persistence';
import { OtpCodeStore } from '@mfa/queue';
import { viaRedis } from './redis-availability';
import { TotpVerifier } from './totp-verifier.service';

export type CodeCheck = 'ok' | 'wrong' | 'replay';

/** Checks the code of a challenge the way its factor type demands. */
@Injectable()
export class CodeChecker {
  constructor(
    private readonly totp: TotpVerifier,
    private readonly otpCodes: OtpCodeStore,
  ) {}

  /** Digits a code for this challenge must have; null when any 6 to 8 digits may be right (Duo passcodes). */
  expectedDigits(challenge: ChallengeEntity): number | null {
    if (challenge.type === 'TOTP') return TOTP_DIGITS;
    if (challenge.type === 'DUO') return null;
    if (challenge.codeLength !== null) return challenge.codeLength;
    // A PUSH challenge takes no code: any code has the wrong shape (API.md), and uses no attempt.
    throw invalidArgument('code', `${challenge.type} challenges are answered on the device: send an empty code to read the outcome`);
  }

  async check(manager: EntityManager, challenge: ChallengeEntity, factor: FactorEntity | null, code: string, now: number): Promise<CodeCheck> {
    switch (challenge.type) {
      case 'TOTP':
        return factor ? this.totp.verifyAndConsume(manager, factor, code, now) : 'wrong';
      case 'SMS':
      case 'VOICE':
      case 'EMAIL':
        // Never issued yet, expired, or used: all mean this code cannot be right. A right one is
        // single use through the challenge, which the caller approves under the user lock; the
        // stored code goes once that is committed (`spent`), so a failed commit does not lose it.
        return (await viaRedis(() => this.otpCodes.check(challenge.id, code))) === 'ok' ? 'ok' : 'wrong';
      case 'PUSH':
      case 'DUO':
        // Answered on the device or through Duo, never by this check.
        throw new DomainError(DomainErrorCode.FailedPrecondition, `${challenge.type} challenges are not answered with a one-time code here`);
      default:
        return assertUnreachable(challenge.type);
    }
  }

  /**
   * After the approval a right code earned is committed: its stored code goes. Best effort: the
   * challenge is no longer pending, so the code can never be accepted again, and it expires anyway.
   */
  async spent(challenge: Pick<ChallengeEntity, 'id' | 'type'>): Promise<void> {
    if (isOutOfBand(challenge.type)) await this.otpCodes.discard(challenge.id).catch(() => undefined);
  }
}
