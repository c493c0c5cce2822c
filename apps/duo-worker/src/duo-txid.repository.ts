import { challengeEndedKey, duoTxidKey, type RedisConnection } from '@mfa/queue';

/**
 * Remembers the Duo transaction of each challenge, so a job that stalls over to another worker
 * (or is retried) resumes polling it instead of sending the user a second Duo Push; and reads the
 * gateway's mark that the challenge ended, so none is sent at all.
 */
export interface DuoTxidRepository {
  /** The stored txid, and whether the gateway marked the challenge ended another way (`challengeEndedKey`): then no push may go out. */
  find(challengeId: string): Promise<{ txid: string | undefined; ended: boolean }>;
  save(challengeId: string, txid: string, ttlSeconds: number): Promise<void>;
}

/**
 * `duoTxidKey` → txid, expiring with the challenge (the gateway reads the key as "the push went
 * out" when it takes a delivery back). On the blocking BullMQ
 * connection on purpose: the write right after Duo accepted must wait out a Redis blip rather
 * than fail, or the retried job would push a second time.
 */
export class RedisDuoTxidRepository implements DuoTxidRepository {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  key(challengeId: string): string {
    return duoTxidKey(this.prefix, challengeId);
  }

  /** One MGET (both keys share the prefix's hash slot): every run of a job asks, deferred ones every second or two. */
  async find(challengeId: string): Promise<{ txid: string | undefined; ended: boolean }> {
    const [txid, ended] = await this.redis.mget(this.key(challengeId), challengeEndedKey(this.prefix, challengeId));
    return { txid: txid ?? undefined, ended: ended !== null };
  }

  async save(challengeId: string, txid: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(challengeId), txid, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

}
