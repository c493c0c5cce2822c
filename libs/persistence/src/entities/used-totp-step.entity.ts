import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** One row per accepted TOTP time step: the primary key makes a second acceptance impossible. */
@Entity('used_totp_steps')
export class UsedTotpStepEntity {
  @PrimaryColumn({ name: 'factor_id', type: 'varchar', length: 40 })
  factorId!: string;

  @PrimaryColumn({ type: 'bigint', transformer: epochMs })
  step!: number;

  @Column({ name: 'used_at', type: 'bigint', transformer: epochMs })
  usedAt!: number;
}
