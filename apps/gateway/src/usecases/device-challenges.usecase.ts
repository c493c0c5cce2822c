import { Injectable } from '@nestjs/common';
import { isExpired, notFound } from '@mfa/domain';
import { ChallengeRepository, Database, type ChallengeContextRecord, type ChallengeEntity, type FactorEntity } from '@mfa/persistence';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';

/** What the device sees of a challenge (API.md §2): never the binding code. */
export interface DeviceChallengeView {
  id: string;
  status: ChallengeEntity['status'];
  created_at: string;
  expires_at: string;
  context: { application: string; ip: string; user_agent: string; action: string; location: string };
  number_matching: boolean;
}

const EMPTY_CONTEXT: ChallengeContextRecord = { ip: '', userAgent: '', application: '', action: '', location: '' };

export function deviceChallengeView(challenge: ChallengeEntity): DeviceChallengeView {
  const context = challenge.context ? (JSON.parse(challenge.context) as ChallengeContextRecord) : EMPTY_CONTEXT;
  return {
    id: challenge.id,
    status: challenge.status,
    created_at: new Date(challenge.createdAt).toISOString(),
    expires_at: new Date(challenge.expiresAt).toISOString(),
    context: { application: context.application, ip: context.ip, user_agent: context.userAgent, action: context.action, location: context.location },
    number_matching: challenge.bindingCode !== null,
  };
}

/** The device's challenges: only those of its own factor; expiry applied on read. */
@Injectable()
export class DeviceChallengesUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  async pending(device: FactorEntity): Promise<DeviceChallengeView[]> {
    const now = this.clock.now();
    const challenges = await new ChallengeRepository(this.database.manager).findPendingForFactor(device.id);
    const live = challenges.filter((c) => !isExpired(c.expiresAt, now));
    if (live.length < challenges.length) await this.expire(device, challenges.filter((c) => isExpired(c.expiresAt, now)), now);
    return live.map(deviceChallengeView);
  }

  async one(device: FactorEntity, challengeId: string): Promise<DeviceChallengeView> {
    const now = this.clock.now();
    const challenge = await new ChallengeRepository(this.database.manager).findById(challengeId);
    if (!challenge || challenge.factorId !== device.id) throw notFound('challenge');
    if (challenge.status === 'PENDING' && isExpired(challenge.expiresAt, now)) {
      await this.expire(device, [challenge], now);
      challenge.status = 'EXPIRED';
    }
    return deviceChallengeView(challenge);
  }

  private async expire(device: FactorEntity, challenges: ChallengeEntity[], now: number): Promise<void> {
    await this.database.withUserLock(device.tenantId, device.userId, async (manager) => {
      for (const c of challenges) {
        const current = await new ChallengeRepository(manager).findById(c.id);
        if (current) await this.lifecycle.expireIfDue(manager, current, now);
      }
    });
    for (const c of challenges) await this.notifier.publish(c.id);
  }
}
