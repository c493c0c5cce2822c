import { Injectable } from '@nestjs/common';
import { TOTP } from '@otplib/totp';
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '@mfa/domain';

export interface TotpMatch {
  /** The time step the code belongs to. */
  timeStep: number;
}

import { base32Plugin as base32, nodeCryptoPlugin as crypto } from './otp-node-plugins';

const SECRET_BYTES = 20; // 160 bits, the HMAC-SHA1 block-size recommendation of RFC 4226

/** RFC 6238 with SHA-1, 6 digits and 30-second steps, as Google Authenticator expects. */
@Injectable()
export class TotpService {
  private readonly totp = new TOTP({ crypto, base32, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, algorithm: 'sha1' });

  newSecret(): string {
    return base32.encode(crypto.randomBytes(SECRET_BYTES));
  }

  /** Key Uri Format, with every parameter spelled out (some apps ignore the defaults otherwise). */
  uri(issuer: string, label: string, secret: string): string {
    const name = `${encodeURIComponent(issuer)}:${encodeURIComponent(label)}`;
    const query = `secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=${TOTP_ALGORITHM}&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_SECONDS}`;
    return `otpauth://totp/${name}?${query}`;
  }

  /**
   * Accepts a code of the current step or the one on either side (±1), refusing any step at or
   * below `lastUsedStep` (replay protection).
   */
  async verify(secret: string, code: string, options: { lastUsedStep: number | null; nowMs: number }): Promise<TotpMatch | null> {
    const epoch = Math.floor(options.nowMs / 1000);
    // Every step of the window was accepted already (the clock stepped back, or a replica runs
    // behind): any code now is a replay. otplib would throw on such an afterTimeStep.
    const topOfWindow = Math.floor(epoch / TOTP_PERIOD_SECONDS) + TOTP_WINDOW_STEPS;
    if (options.lastUsedStep !== null && options.lastUsedStep >= topOfWindow) return null;
    const result = await this.totp.verify(code, {
      secret,
      epoch,
      epochTolerance: TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS,
      ...(options.lastUsedStep === null ? {} : { afterTimeStep: options.lastUsedStep }),
    });
    if (!result.valid) return null;
    return { timeStep: result.timeStep };
  }
}
