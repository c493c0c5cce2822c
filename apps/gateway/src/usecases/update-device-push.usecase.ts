import { Injectable } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import { AuditEventType } from '@mfa/domain';
import { AuditRepository, Database, factorPushTokenAad, FactorRepository, type FactorEntity } from '@mfa/persistence';
import { DeviceApiError } from '../device/device-api.error';
import { Clock } from '../services/clock';

/**
 * PUT /device/v1/push: the app reports a new FCM registration token (FCM rotates them; a restored
 * or reinstalled app gets a new one) or that it now polls. Pushes go to the new token from the
 * next challenge on; the token is stored encrypted, as at enrollment.
 */
@Injectable()
export class UpdateDevicePushUseCase {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  async execute(device: FactorEntity, pushToken: string | null): Promise<{ platform: 'fcm' | 'none' }> {
    const now = this.clock.now();
    await this.database.withUserLock(device.tenantId, device.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const current = await factors.findInTenant(device.tenantId, device.id);
      // Deleted or re-enrolled meanwhile: the device that signed this request is no longer this factor's.
      if (!current || current.deviceId !== device.deviceId || current.status !== 'ACTIVE') throw new DeviceApiError(401, 'unauthorized', 'this device is no longer enrolled');
      current.pushTokenEnc = pushToken ? this.keyring.encrypt(pushToken, factorPushTokenAad(current.id)) : null;
      await factors.save(current);
      await new AuditRepository(manager).append(
        { tenantId: current.tenantId, userId: current.userId, type: AuditEventType.DevicePushUpdated, factorId: current.id, details: { device_id: current.deviceId ?? '', push: pushToken ? 'fcm' : 'none' } },
        now,
      );
    });
    return { platform: pushToken ? 'fcm' : 'none' };
  }
}
