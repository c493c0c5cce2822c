import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ChallengeStatus, DeliveryStatus, FactorType } from '@mfa/domain';
import { epochMs } from './epoch-ms.transformer';

export interface ChallengeContextRecord {
  ip: string;
  userAgent: string;
  application: string;
  action: string;
  location: string;
}

@Entity('challenges')
@Index(['tenantId', 'userId', 'idempotencyKey'])
@Index(['status', 'expiresAt'])
export class ChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Index()
  @Column({ name: 'factor_id', type: 'varchar', length: 40 })
  factorId!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: FactorType;

  /** Why this challenge exists: a login (`challenge`) or an ownership check at enrollment. */
  @Column({ type: 'varchar', length: 16, default: 'challenge' })
  purpose!: 'challenge' | 'enrollment';

  @Column({ type: 'varchar', length: 16 })
  status!: ChallengeStatus;

  @Column({ type: 'varchar', length: 16 })
  delivery!: DeliveryStatus;

  @Column({ type: 'varchar', length: 255, default: '' })
  reason!: string;

  @Column({ name: 'attempts_remaining', type: 'integer' })
  attemptsRemaining!: number;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'text', nullable: true })
  context!: string | null;

  @Column({ type: 'varchar', length: 35, default: '' })
  locale!: string;

  /** Digits of an out-of-band code; null for factors without one (TOTP, push). */
  @Column({ name: 'code_length', type: 'integer', nullable: true })
  codeLength!: number | null;

  /** PUSH with number matching: the number the login screen shows and the device must send back. */
  @Column({ name: 'binding_code', type: 'varchar', length: 8, nullable: true })
  bindingCode!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'resolved_at', type: 'bigint', nullable: true, transformer: epochMs })
  resolvedAt!: number | null;

  /** PUSH and Duo: when VerifyChallenge reported the approval made elsewhere; it is reported once. */
  @Column({ name: 'redeemed_at', type: 'bigint', nullable: true, transformer: epochMs })
  redeemedAt!: number | null;
}
