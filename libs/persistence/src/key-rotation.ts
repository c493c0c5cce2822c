import { blindIndex, needsReindex, type Keyring } from '@mfa/crypto';
import type { Database } from './database';
import { FactorEntity } from './entities/factor.entity';
import { FactorRepository } from './repositories/factor.repository';

export interface RotationProgress {
  scanned: number;
  reencrypted: number;
}

const PAGE_SIZE = 200;

/** Associated data that binds a factor's ciphertexts to that factor. */
export const factorSecretAad = (factorId: string): string => `factor:${factorId}:secret`;
export const factorDestinationAad = (factorId: string): string => `factor:${factorId}:destination`;
export const factorPushTokenAad = (factorId: string): string => `factor:${factorId}:push-token`;
export const factorEnrollUrlAad = (factorId: string): string => `factor:${factorId}:enroll-url`;

/**
 * Re-encrypts every stored secret still sealed with an older key. Resumable: it walks factors
 * in id order and rewrites only what the primary key did not seal, so a rerun after a crash
 * continues where it stopped and a finished rotation is a no-op. Duo portal URLs still stored in
 * clear (`enroll_url`, from before `enroll_url_enc`) are sealed first, with the primary key, and
 * count as re-encrypted.
 */
export async function rotateEncryptionKeys(
  database: Database,
  keyring: Keyring,
  onPage: (progress: RotationProgress) => void = () => undefined,
): Promise<RotationProgress> {
  const progress: RotationProgress = { scanned: 0, reencrypted: 0 };
  progress.reencrypted += await new FactorRepository(database.manager).sealLegacyEnrollUrls((factorId, url) => keyring.encrypt(url, factorEnrollUrlAad(factorId)));
  let afterId = '';
  for (;;) {
    const page = await new FactorRepository(database.manager).pageWithSecrets(afterId, PAGE_SIZE);
    if (page.length === 0) return progress;
    for (const factor of page) {
      progress.scanned++;
      const changes: Partial<Pick<FactorEntity, 'secretEnc' | 'destinationEnc' | 'destinationIndex' | 'pushTokenEnc' | 'enrollUrlEnc'>> = {};
      if (factor.pushTokenEnc && keyring.needsReencryption(factor.pushTokenEnc)) {
        changes.pushTokenEnc = keyring.reencrypt(factor.pushTokenEnc, factorPushTokenAad(factor.id));
      }
      if (factor.enrollUrlEnc && keyring.needsReencryption(factor.enrollUrlEnc)) {
        changes.enrollUrlEnc = keyring.reencrypt(factor.enrollUrlEnc, factorEnrollUrlAad(factor.id));
      }
      if (factor.secretEnc && keyring.needsReencryption(factor.secretEnc)) {
        changes.secretEnc = keyring.reencrypt(factor.secretEnc, factorSecretAad(factor.id));
      }
      if (factor.destinationEnc && keyring.needsReencryption(factor.destinationEnc)) {
        changes.destinationEnc = keyring.reencrypt(factor.destinationEnc, factorDestinationAad(factor.id));
      }
      if (factor.destinationEnc && factor.destinationIndex && needsReindex(keyring, factor.destinationIndex)) {
        // The duplicate index is keyed too: recompute it so the old key can be retired.
        const address = keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
        changes.destinationIndex = blindIndex(keyring, address.toLowerCase());
      }
      if (Object.keys(changes).length > 0) {
        await database.manager.update(FactorEntity, { id: factor.id }, changes);
        progress.reencrypted++;
      }
    }
    afterId = page[page.length - 1].id;
    onPage(progress);
  }
}
