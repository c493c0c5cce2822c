import { Injectable } from '@nestjs/common';
import { TOTP } from '@otplib/totp';
import { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '@mfa/domain';

export interface TotpMatch {
  /** The time step the code belongs to. */
  timeStep: number;
  /** Whether that step was accepted before: the code is a replay. */
  used: boolean;
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
   * The step of the window (the server's step ±1) that `code` belongs to, preferring one not used
   * yet; `used` is true only when every step the code matches was used (a replay). Null when the
   * code matches no step of the window.
   */
  async verify(secret: string, code: string, options: { nowMs: number; isUsed: (step: number) => boolean }): Promise<TotpMatch | null> {
    const epoch = Math.floor(options.nowMs / 1000);
    const result = await this.totp.verify(code, { secret, epoch, epochTolerance: TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS });
    if (!result.valid) return null;
    if (!options.isUsed(result.timeStep)) return { timeStep: result.timeStep, used: false };
    // One code of six digits can match two steps of the window (one in 10^6): a used one must not hide the other.
    const current = Math.floor(epoch / TOTP_PERIOD_SECONDS);
    for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
      if (step === result.timeStep || options.isUsed(step)) continue;
      if ((await this.totp.verify(code, { secret, epoch: step * TOTP_PERIOD_SECONDS, epochTolerance: 0 })).valid) return { timeStep: step, used: false };
    }
    return { timeStep: result.timeStep, used: true };
  }
}
