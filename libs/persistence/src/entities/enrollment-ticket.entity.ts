import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './epoch-ms.transformer';

/** A single-use push enrollment ticket, kept only as its hash. */
@Entity('enrollment_tickets')
export class EnrollmentTicketEntity {
  @PrimaryColumn({ name: 'ticket_hash', type: 'varchar', length: 64 })
  ticketHash!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId!: string;

  @Column({ name: 'factor_id', type: 'varchar', length: 40 })
  factorId!: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs })
  usedAt!: number | null;
}
