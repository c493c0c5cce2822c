import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import type { Logger } from '@mfa/observability';
import { Database, factorEnrollUrlAad, FactorRepository } from '@mfa/persistence';
import { LOGGER } from './logger.provider';

const SHUTDOWN_WAIT_MS = 2_000;

/**
 * Seals the Duo portal URLs still stored in clear (`factors.enroll_url`: from before
 * `enroll_url_enc`, or written by a gateway of the previous release during a rolling deploy),
 * once at every start: the migration that added the sealed column has no keyring. In the
 * background, so a slow or unreachable database neither holds up nor fails the start; a failure
 * is logged and the next start (or `mfa-admin keys rotate`) seals what is left. Each row is
 * written under a guard, so replicas starting together, and requests, are not overwritten.
 */
@Injectable()
export class LegacyEnrollUrlSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopping = false;
  private running: Promise<number> | undefined;

  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  /**
   * Before the database closes: stop between rows and let the row in hand finish, for a moment
   * only, since a database that does not answer must not hold up the drain (closing it fails the
   * statement, which is logged; the row is sealed at the next start).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Seals what is left; returns how many (0 after a failure, which it logs). */
  async run(): Promise<number> {
    try {
      const sealed = await new FactorRepository(this.database.manager).sealLegacyEnrollUrls((factorId, url) => this.keyring.encrypt(url, factorEnrollUrlAad(factorId)), {
        stopped: () => this.stopping,
      });
      if (sealed > 0) this.logger.info({ sealed }, 'sealed the Duo enrollment portal URLs stored in clear');
      return sealed;
    } catch (error) {
      // The message only: a failed statement's error carries its parameters, the URL among them.
      this.logger.warn({ reason: (error as Error).message }, 'sealing the Duo enrollment portal URLs stored in clear failed; the next start retries');
      return 0;
    }
  }
}
