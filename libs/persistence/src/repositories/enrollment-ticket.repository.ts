import { IsNull, type EntityManager } from 'typeorm';
import { EnrollmentTicketEntity } from '../entities/enrollment-ticket.entity';

export class EnrollmentTicketRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(ticket: EnrollmentTicketEntity): Promise<void> {
    await this.manager.insert(EnrollmentTicketEntity, ticket);
  }

  find(ticketHash: string): Promise<EnrollmentTicketEntity | null> {
    return this.manager.findOne(EnrollmentTicketEntity, { where: { ticketHash } });
  }

  /** Uses the ticket; false when it was used already (single use, even under concurrency). */
  async markUsed(ticketHash: string, now: number): Promise<boolean> {
    const result = await this.manager.update(EnrollmentTicketEntity, { ticketHash, usedAt: IsNull() }, { usedAt: now });
    return (result.affected ?? 0) > 0;
  }
}
