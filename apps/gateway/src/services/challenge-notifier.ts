import { duplicateConnection, type RedisConnection } from '@mfa/queue';

type Listener = () => void;

/**
 * Fans challenge changes out to WatchChallenge streams on every gateway replica through Redis
 * pub/sub: the replica that changed a challenge publishes its id, each replica wakes the
 * watchers of that id, and they re-read the state from the database.
 */
export class ChallengeNotifier {
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber: RedisConnection | undefined;

  constructor(
    private readonly publisher: RedisConnection,
    private readonly prefix: string,
  ) {}

  private get channel(): string {
    return `${this.prefix}:challenge-changes`;
  }

  /** Tells every replica that a challenge changed; losing one message only delays a watcher to its next poll. */
  async publish(challengeId: string): Promise<void> {
    this.wake(challengeId);
    await this.publisher.publish(this.channel, challengeId).catch(() => undefined);
  }

  watch(challengeId: string, listener: Listener): () => void {
    this.ensureSubscribed();
    let set = this.listeners.get(challengeId);
    if (!set) this.listeners.set(challengeId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(challengeId);
    };
  }

  private wake(challengeId: string): void {
    for (const listener of this.listeners.get(challengeId) ?? []) listener();
  }

  private ensureSubscribed(): void {
    if (this.subscriber) return;
    this.subscriber = duplicateConnection(this.publisher, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel: string, challengeId: string) => this.wake(challengeId));
    void this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  close(): void {
    this.subscriber?.disconnect();
    this.listeners.clear();
  }
}
