import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

@Entity('audit_events')
@Index(['tenantId', 'userId', 'id'])
@Index(['tenantId', 'id'])
export class AuditEventEntity {
  /** Time-ordered, so the primary key is also the page order. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255, default: '' })
  userId!: string;

  @Column({ type: 'varchar', length: 40 })
  type!: string;

  @Column({ name: 'factor_id', type: 'varchar', length: 40, default: '' })
  factorId!: string;

  @Column({ name: 'challenge_id', type: 'varchar', length: 40, default: '' })
  challengeId!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: number;

  @Column({ type: 'text', default: '{}' })
  details!: string;
}
