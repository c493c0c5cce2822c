import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Authenticator, MemoryDeviceStore } from '@mfa/authenticator-sdk';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { appBuilt, closedLoop, deadlineIn, DIST, latency, log, rssMb, RssSampler, sleep, type App, type Latency, type Stack } from './harness';

/**
 * 3. Push approval, end to end: StartChallenge PUSH → the device learns of it → the SDK approves
 * (signed ES256, with the binding code of number matching) → WatchChallenge sees APPROVED.
 *
 * The device learns of the challenge through FCM when the tree has a push worker and an FCM fake
 * (the worker sends through the fake, the device reads the fake's message), otherwise by polling
 * `GET /device/v1/challenges?status=pending` (starting right after StartChallenge returns, every
 * 10 ms until it is listed). Nothing is faked: without a device API the benchmark is skipped.
 */

export interface PushFigures {
  p50_ms: number;
  p99_ms: number;
  mode: 'fcm' | 'polling';
  /** Why FCM was not used, when it was not. */
  note: string;
  approvals: number;
  latency: Latency;
  /** RSS of the push worker, when one ran. */
  push_worker_rss?: { idle_mb: number; load_mb: number };
}

export type PushResult = PushFigures | { skipped: string };

const IN_FLIGHT = 4;
/** The gateway allows a device 120 requests a minute; each approval takes two or three. */
const APPROVALS_PER_DEVICE = 20;
const POLL_EVERY_MS = 10;
const MAX_POLLS = 500;

interface ReceivedPushLike {
  token?: string;
  data: Record<string, string>;
}
interface FcmFakeLike {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  url: string;
  projectId: string;
  writeServiceAccountFile(dir: string): string;
  onMessage(listener: (push: ReceivedPushLike) => void): () => void;
}

/** The FCM fake from the built fakes, if this tree has one (it is looked up at run time). */
function loadFcmFake(): (new () => FcmFakeLike) | undefined {
  const index = join(DIST, 'tools', 'fakes', 'src', 'index.js');
  if (!existsSync(index)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fakes = require(index) as { FcmFake?: new () => FcmFakeLike };
  return fakes.FcmFake;
}

interface Device {
  userId: string;
  factorId: string;
  authenticator: Authenticator;
  token: string;
}

export async function pushBench(stack: Stack, client: MfaClient, approvals: number, maxSeconds: number): Promise<PushResult> {
  let mode: 'fcm' | 'polling' = 'polling';
  let note = '';
  const FcmFake = loadFcmFake();
  let fcm: FcmFakeLike | undefined;
  let pushWorker: App | undefined;
  let pushIdleMb = NaN;
  const waiting = new Map<string, () => void>();
  const arrived = new Set<string>();
  if (!appBuilt('push-worker')) note = 'no apps/push-worker in the build';
  else if (!FcmFake) note = 'no FCM fake exported by tools/fakes';
  else {
    try {
      fcm = new FcmFake();
      await fcm.start();
      stack.own(fcm);
      Object.assign(stack.extraEnv, {
        FIREBASE_PROJECT_ID: fcm.projectId,
        GOOGLE_APPLICATION_CREDENTIALS: fcm.writeServiceAccountFile(stack.dataDir),
        FCM_API_BASE_URL: fcm.url,
      });
      fcm.onMessage((push) => {
        const id = push.data?.challenge_id;
        if (!id) return;
        const resolve = waiting.get(id);
        if (resolve) resolve();
        else arrived.add(id);
      });
      pushWorker = await stack.startApp('push-worker');
      mode = 'fcm';
      await sleep(1_500);
      pushIdleMb = rssMb(pushWorker.pid);
    } catch (error) {
      note = `push worker did not start with the FCM fake: ${(error as Error).message.split('\n')[0]}`;
    }
  }

  const deviceCount = Math.max(IN_FLIGHT, Math.ceil(approvals / APPROVALS_PER_DEVICE));
  log(`push: enrolling ${deviceCount} devices (${mode}${note ? `: ${note}` : ''})`);
  const run = randomBytes(3).toString('hex');
  let devices: Device[];
  try {
    devices = await Promise.all(
      Array.from({ length: deviceCount }, async (_, i) => {
        const userId = `bench-push-${run}-${i}`;
        const enrollment = await client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_PUSH', label: `bench phone ${i}` });
        const token = `bench-fcm-${run}-${i}-${randomBytes(8).toString('hex')}`;
        const authenticator = await Authenticator.enroll(enrollment.push!.enrollment_uri, {
          name: `bench phone ${i}`,
          push: mode === 'fcm' ? { platform: 'fcm', token } : { platform: 'none' },
          store: new MemoryDeviceStore(),
        });
        return { userId, factorId: authenticator.factorId, authenticator, token };
      }),
    );
  } catch (error) {
    return { skipped: `push enrollment failed: ${(error as Error).message}` };
  }

  const learnOf = async (device: Device, challengeId: string): Promise<void> => {
    if (mode === 'fcm') {
      if (arrived.delete(challengeId)) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no FCM message within 15 s')), 15_000);
        waiting.set(challengeId, () => {
          clearTimeout(timer);
          waiting.delete(challengeId);
          resolve();
        });
      });
      return;
    }
    for (let i = 0; i < MAX_POLLS; i++) {
      const pending = await device.authenticator.pendingChallenges();
      if (pending.some((c) => c.id === challengeId)) return;
      await sleep(POLL_EVERY_MS);
    }
    throw new Error('the challenge was never listed as pending');
  };

  const samples: number[] = [];
  const failures = new Map<string, number>();
  log(`push: ${approvals} approvals, ${IN_FLIGHT} in flight`);
  const rss = new RssSampler(stack);
  rss.start();
  await closedLoop(approvals, IN_FLIGHT, async (i) => {
    const device = devices[i % devices.length];
    try {
      const started = performance.now();
      const challenge = await client.startChallenge({ user_id: device.userId, factor_id: device.factorId, context: { ip: '203.0.113.7', application: 'bench', action: 'login', location: '', user_agent: 'bench' } });
      const approved = watchFor(client, challenge.id, 'CHALLENGE_STATUS_APPROVED');
      await learnOf(device, challenge.id);
      await device.authenticator.approve(challenge.id, challenge.binding_code ? { bindingCode: challenge.binding_code } : {});
      await approved;
      samples.push(performance.now() - started);
    } catch (error) {
      const key = (error as Error).message.slice(0, 120);
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
  }, deadlineIn(maxSeconds));
  rss.stop();
  const pushWorkerRss = pushWorker ? { idle_mb: pushIdleMb, load_mb: rss.peakMb.get(pushWorker.name) ?? NaN } : undefined;
  if (pushWorker) await stack.stopApp(pushWorker).catch(() => undefined);
  if (failures.size > 0) log(`push: failures: ${[...failures].map(([m, n]) => `${n}× ${m}`).join('; ')}`);
  if (samples.length === 0) return { skipped: `no approval completed (${[...failures.keys()][0] ?? 'unknown'})` };
  const stats = latency(samples);
  log(`push: p50 ${stats.p50.toFixed(1)} ms, p99 ${stats.p99.toFixed(1)} ms over ${samples.length} approvals`);
  return { p50_ms: stats.p50, p99_ms: stats.p99, mode, note, approvals: samples.length, latency: stats, push_worker_rss: pushWorkerRss };
}

/** Resolves when WatchChallenge streams `status`; rejects on another final status or after 30 s. */
function watchFor(client: MfaClient, challengeId: string, status: Challenge['status']): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.watchChallenge({ challenge_id: challengeId }, { deadline: Date.now() + 30_000 });
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      stream.cancel();
      if (error) reject(error);
      else resolve();
    };
    stream.on('data', (c: Challenge) => {
      if (c.status === status) finish();
      else if (c.status !== 'CHALLENGE_STATUS_PENDING') finish(new Error(`challenge ended ${c.status}`));
    });
    stream.on('error', (e: Error) => finish(e));
    stream.on('end', () => finish(new Error('watch ended before approval')));
  });
}

