import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FactorStatus, FactorType } from '@mfa/domain';
import { epochMs } from './epoch-ms.transformer';
import { stepList } from './step-list.transformer';

@Entity('factors')
@Index(['tenantId', 'userId'])
export class FactorEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: FactorType;

  @Column({ type: 'varchar', length: 16 })
  status!: FactorStatus;

  /** Masked for display: never a full phone number or e-mail address. */
  @Column({ type: 'varchar', length: 255 })
  display!: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  label!: string;

  @Column({ type: 'varchar', length: 35, default: '' })
  locale!: string;

  /** Keyring envelope of the factor's secret (TOTP seed), bound to the factor id. */
  @Column({ name: 'secret_enc', type: 'text', nullable: true })
  secretEnc!: string | null;

  /** Keyring envelope of the delivery address (phone number, e-mail, Duo username). */
  @Column({ name: 'destination_enc', type: 'text', nullable: true })
  destinationEnc!: string | null;

  /** Keyed hash of the normalised address, to refuse duplicates without reading it in clear. */
  @Column({ name: 'destination_index', type: 'varchar', length: 64, nullable: true })
  destinationIndex!: string | null;

  /** Highest TOTP time step accepted so far. */
  @Column({ name: 'totp_last_step', type: 'bigint', nullable: true, transformer: epochMs })
  totpLastStep!: number | null;

  /**
   * The TOTP steps accepted within the replay span below `totpLastStep` (`AcceptedTotpSteps` of
   * @mfa/domain), so only those are refused as replays. Null on factors from before it: every
   * step up to `totpLastStep` counts as used there.
   */
  @Column({ name: 'totp_recent_steps', type: 'text', nullable: true, transformer: stepList })
  totpRecentSteps!: number[] | null;

  /** Observed clock drift of the authenticator, in time steps (RFC 6238 §6). */
  @Column({ name: 'totp_drift', type: 'integer', default: 0 })
  totpDrift!: number;

  /** PUSH: the enrolled authenticator's id, what its request JWTs name as `sub`. */
  @Column({ name: 'device_id', type: 'varchar', length: 40, nullable: true })
  deviceId!: string | null;

  /** PUSH: the device's EC P-256 public key (JWK JSON); it verifies every device request. */
  @Column({ name: 'device_public_key', type: 'text', nullable: true })
  devicePublicKey!: string | null;

  /** PUSH: keyring envelope of the FCM registration token; null means the device polls. */
  @Column({ name: 'push_token_enc', type: 'text', nullable: true })
  pushTokenEnc!: string | null;

  /**
   * DUO: keyring envelope of Duo's enrollment portal URL while Duo says "enroll", bound to the
   * factor id. The URL is a bearer link (whoever opens it enrolls a device for the Duo user), so
   * it is sealed like an address.
   */
  @Column({ name: 'enroll_url_enc', type: 'text', nullable: true })
  enrollUrlEnc!: string | null;

  /**
   * DUO, legacy: the portal URL in clear, as stored before `enroll_url_enc` (and by gateways of
   * that release while a rolling deploy replaces them). Read only when `enrollUrlEnc` is null;
   * never written except emptied. The gateway's start and key rotation seal what is left
   * (`FactorRepository.sealLegacyEnrollUrls`); a later release drops the column.
   */
  @Column({ name: 'enroll_url', type: 'text', nullable: true })
  legacyEnrollUrl!: string | null;

  /** DUO: the portal URL opened for a response (from `enrollUrlEnc`, else `legacyEnrollUrl`). Not a column: never stored. */
  enrollUrl: string | null = null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: number | null;
}
