import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';

export interface Watch {
  /** Every state the stream has sent so far, in order. */
  seen: Challenge[];
  /**
   * The first state, the current one: once it has come, the watch is listening for changes, so a
   * test acts after it to see that action's change (and not a later current state).
   */
  first: Promise<Challenge>;
  /** `seen` once the stream ends; rejects on a stream error, or when it is still open after `withinMs`. */
  ended: Promise<Challenge[]>;
}

/** Opens WatchChallenge and collects what it sends until it ends. */
export function watchChallenge(client: MfaClient, challengeId: string, withinMs?: number): Watch {
  const seen: Challenge[] = [];
  let firstCame!: (state: Challenge) => void;
  const first = new Promise<Challenge>((resolve) => (firstCame = resolve));
  const ended = new Promise<Challenge[]>((resolve, reject) => {
    const stream = client.watchChallenge({ challenge_id: challengeId });
    const timer =
      withinMs === undefined
        ? undefined
        : setTimeout(() => {
            stream.cancel();
            reject(new Error(`watch of ${challengeId} still open after ${withinMs} ms, saw ${seen.map((c) => c.status).join(', ')}`));
          }, withinMs);
    stream.on('data', (c: Challenge) => {
      if (seen.push(c) === 1) firstCame(c);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(seen);
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return { seen, first, ended };
}
