import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity';
import { Table } from '../sql/table';

export interface AuditRecord {
  tenantId: string;
  userId: string;
  type: string;
  factorId?: string;
  challengeId?: string;
  details?: Record<string, string>;
}

let sequence = 0;

/** Ids sort by time (then by a per-process sequence), so a page token is simply the last id. */
function timeOrderedId(at: number): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `evt_${at.toString(36).padStart(10, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

export class AuditRepository {
  constructor(private readonly manager: EntityManager) {}

  async append(record: AuditRecord, at = Date.now()): Promise<AuditEventEntity> {
    const event = this.manager.create(AuditEventEntity, {
      id: timeOrderedId(at),
      tenantId: record.tenantId,
      userId: record.userId,
      type: record.type,
      factorId: record.factorId ?? '',
      challengeId: record.challengeId ?? '',
      at,
      details: JSON.stringify(record.details ?? {}),
    });
    await Table.of(this.manager, AuditEventEntity).insert(event);
    return event;
  }

  /** Newest first; `beforeId` continues a previous page. */
  page(tenantId: string, userId: string | undefined, beforeId: string | undefined, limit: number): Promise<AuditEventEntity[]> {
    const query = this.manager.createQueryBuilder(AuditEventEntity, 'e').where('e.tenant_id = :tenantId', { tenantId });
    if (userId) query.andWhere('e.user_id = :userId', { userId });
    if (beforeId) query.andWhere('e.id < :beforeId', { beforeId });
    return query.orderBy('e.id', 'DESC').limit(limit).getMany();
  }
}
