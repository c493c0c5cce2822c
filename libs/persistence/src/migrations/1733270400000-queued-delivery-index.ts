import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The delivery relay looks every 15 s for challenges whose delivery is still QUEUED: pending ones
 * whose job went missing, and ended ones nothing will ever report on. Few rows are QUEUED at any
 * time (a delivery leaves it within seconds), while `idx_challenges_status_expiry` would have it
 * read every challenge that ended in the last quarter of an hour: this partial index holds only
 * the QUEUED ones, in the relay's order.
 */
export class QueuedDeliveryIndex1733270400000 implements MigrationInterface {
  name = 'QueuedDeliveryIndex1733270400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('challenges', new TableIndex({ name: 'idx_challenges_queued_delivery', columnNames: ['expires_at', 'id'], where: "delivery = 'QUEUED'" }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('challenges', 'idx_challenges_queued_delivery');
  }
}
