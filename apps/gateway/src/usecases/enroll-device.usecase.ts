import { Injectable } from '@nestjs/common';
import { Keyring, newId, sha256Hex } from '@mfa/crypto';
import { AuditEventType } from '@mfa/domain';
import { AuditRepository, Database, EnrollmentTicketRepository, factorPushTokenAad, FactorRepository } from '@mfa/persistence';
import { DeviceApiError } from '../device/device-api.error';
import type { DevicePublicJwk } from '../device/device-jwt';
import { Clock } from '../services/clock';

export interface EnrollDeviceCommand {
  ticket: string;
  publicKey: DevicePublicJwk;
  /** FCM registration token; absent when the device polls. */
  pushToken: string | null;
  name: string;
}

const invalidTicket = (): DeviceApiError => new DeviceApiError(400, 'invalid_ticket', 'the enrollment ticket is unknown, used or expired');

/** POST /device/v1/enroll: a single-use ticket turns the pending PUSH factor into this device. */
@Injectable()
export class EnrollDeviceUseCase {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  async execute(command: EnrollDeviceCommand): Promise<{ deviceId: string; factorId: string }> {
    const now = this.clock.now();
    const ticketHash = enrollmentTicketHash(command.ticket);
    const ticket = await new EnrollmentTicketRepository(this.database.manager).find(ticketHash);
    if (!ticket || ticket.usedAt !== null || ticket.expiresAt <= now) throw invalidTicket();
    const factor = await new FactorRepository(this.database.manager).findInTenant(ticket.tenantId, ticket.factorId);
    if (!factor) throw invalidTicket();
    return this.database.withUserLock(factor.tenantId, factor.userId, async (manager) => {
      if (!(await new EnrollmentTicketRepository(manager).markUsed(ticketHash, now))) throw invalidTicket();
      const factors = new FactorRepository(manager);
      const current = await factors.findInTenant(ticket.tenantId, ticket.factorId);
      if (!current || current.type !== 'PUSH' || current.status !== 'PENDING') throw invalidTicket();
      current.deviceId = newId('dev');
      current.devicePublicKey = JSON.stringify(command.publicKey);
      current.pushTokenEnc = command.pushToken ? this.keyring.encrypt(command.pushToken, factorPushTokenAad(current.id)) : null;
      current.display = command.name;
      current.status = 'ACTIVE';
      await factors.save(current);
      await new AuditRepository(manager).append(
        { tenantId: current.tenantId, userId: current.userId, type: AuditEventType.FactorConfirmed, factorId: current.id, details: { device_id: current.deviceId, push: command.pushToken ? 'fcm' : 'none' } },
        now,
      );
      return { deviceId: current.deviceId, factorId: current.id };
    });
  }
}

export const enrollmentTicketHash = (ticket: string): string => sha256Hex(`mfa-enrollment-ticket:${ticket}`);
