import type { EntityManager } from 'typeorm';
import { UserStateEntity } from '../entities/user-state.entity';

export class UserStateRepository {
  constructor(private readonly manager: EntityManager) {}

  find(tenantId: string, userId: string): Promise<UserStateEntity | null> {
    return this.manager.findOne(UserStateEntity, { where: { tenantId, userId } });
  }

  async save(state: UserStateEntity): Promise<void> {
    await this.manager.update(
      UserStateEntity,
      { tenantId: state.tenantId, userId: state.userId },
      { consecutiveFailures: state.consecutiveFailures, lockedUntil: state.lockedUntil, updatedAt: state.updatedAt },
    );
  }
}
