import type { Keyring } from '@mfa/crypto';
import type { Logger } from '@mfa/observability';
import { PermanentProviderError, sealedDuoEnrollUrlAad, sealedDuoPasscodeAad, sealedDuoUsernameAad } from '@mfa/queue';

/** Provider label of failures that happen before Duo is involved. */
export const WORKER_PROVIDER = 'duo';

/**
 * Opens the sealed username and passcode of a Duo job, and seals the secret a job returns (Duo's
 * enrollment portal URL). A sealed value that does not open never will, so that is a permanent
 * failure; the plaintext never reaches a log line or an error.
 */
export class DuoSecrets {
  constructor(
    private readonly keyring: Pick<Keyring, 'decryptText' | 'encrypt'>,
    private readonly logger: Logger,
  ) {}

  /** For the return value of preauth job `jobId`: only the gateway that asked opens it. */
  sealEnrollUrl(url: string, factorId: string, jobId: string): string {
    return this.keyring.encrypt(url, sealedDuoEnrollUrlAad(factorId, jobId));
  }

  username(sealed: string, factorId: string, log: object): string {
    const username = this.open(sealed, sealedDuoUsernameAad(factorId), 'username', log);
    if (username.trim() === '') {
      this.logger.error(log, 'sealed Duo username is empty');
      throw new PermanentProviderError('the Duo username is empty', WORKER_PROVIDER);
    }
    return username;
  }

  passcode(sealed: string, challengeId: string, log: object): string {
    return this.open(sealed, sealedDuoPasscodeAad(challengeId), 'passcode', log);
  }

  private open(sealed: string, aad: string, what: string, log: object): string {
    try {
      return this.keyring.decryptText(sealed, aad);
    } catch (error) {
      // Keyring messages name key ids at most.
      this.logger.error({ ...log, err: { name: (error as Error).name, message: (error as Error).message } }, `sealed Duo ${what} does not open`);
      throw new PermanentProviderError(`the Duo ${what} could not be decrypted`, WORKER_PROVIDER);
    }
  }
}
