import type { EntityManager } from 'typeorm';
import { EnrollmentTicketEntity } from '../entities/enrollment-ticket.entity';
import { Table } from '../sql/table';

export class EnrollmentTicketRepository {
  private readonly table: Table<EnrollmentTicketEntity>;

  constructor(manager: EntityManager) {
    this.table = Table.of(manager, EnrollmentTicketEntity);
  }

  insert(ticket: EnrollmentTicketEntity): Promise<void> {
    return this.table.insert(ticket);
  }

  find(ticketHash: string): Promise<EnrollmentTicketEntity | null> {
    return this.table.findOne({ ticketHash });
  }

  /** Uses the ticket; false when it was used already (single use, even under concurrency). */
  async markUsed(ticketHash: string, now: number): Promise<boolean> {
    return (await this.table.update({ ticketHash, usedAt: null }, { usedAt: now })) > 0;
  }
}
