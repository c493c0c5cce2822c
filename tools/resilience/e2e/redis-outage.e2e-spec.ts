import { freePort } from '@mfa/testing';
import { spawnApp, stopProcess, waitForHttp, type AppName, type AppProcess } from '../../e2e/src/stack';
import { logLines, loneAppEnv, stderrOf } from './app-env';
import { OwnRedis } from './own-redis';

/** API.md §6: SIGTERM stops every app gracefully and exits 0, Redis reachable or not. */
const STOP_WITHIN_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How many lines each connection logged with `msg`. */
function linesPerConnection(app: AppProcess, msg: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of logLines(app).filter((l) => l.msg === msg)) counts[String(line.connection)] = (counts[String(line.connection)] ?? 0) + 1;
  return counts;
}

async function stopTimed(app: AppProcess): Promise<{ exit: { code: number | null; signal: NodeJS.Signals | null }; ms: number }> {
  const at = Date.now();
  const exit = await stopProcess(app, 30_000);
  return { exit, ms: Date.now() - at };
}

describe.each<AppName>(['gateway', 'otp-worker'])('%s with Redis unreachable', (appName) => {
  const disposals: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const dispose of disposals.splice(0).reverse()) await dispose();
  });

  it('started without Redis: SIGTERM exits 0 at once; each connection logs the outage in one JSON line, stderr stays empty', async () => {
    const { env, dispose } = loneAppEnv({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    disposals.push(dispose);
    const app = await spawnApp(appName, appName, env);
    disposals.push(() => void stopProcess(app, 1_000));
    const stderr = stderrOf(app);
    await waitForHttp(app, '/healthz');
    await sleep(4_000); // a dozen reconnect attempts per connection

    const errors = linesPerConnection(app, 'redis connection error');
    expect(Object.keys(errors).length).toBeGreaterThanOrEqual(2);
    expect(Object.values(errors).every((n) => n === 1)).toBe(true);
    expect(stderr()).toBe('');

    const { exit, ms } = await stopTimed(app);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(STOP_WITHIN_MS);
    expect(stderr()).toBe('');
  });

  it('Redis dying under it: one line per connection for the outage and one for the recovery; SIGTERM during an outage exits 0 at once', async () => {
    const redis = await new OwnRedis().start();
    disposals.push(() => redis.stop());
    const { env, dispose } = loneAppEnv({ REDIS_URL: redis.url });
    disposals.push(dispose);
    const app = await spawnApp(appName, appName, env);
    disposals.push(() => void stopProcess(app, 1_000));
    const stderr = stderrOf(app);
    await waitForHttp(app, '/readyz');

    await redis.kill();
    await sleep(4_000);
    const errors = linesPerConnection(app, 'redis connection error');
    expect(Object.keys(errors).length).toBeGreaterThanOrEqual(2);
    expect(Object.values(errors).every((n) => n === 1)).toBe(true);

    await redis.start();
    await waitForHttp(app, '/readyz');
    const deadline = Date.now() + 10_000;
    while (Object.keys(linesPerConnection(app, 'redis connection recovered')).length < Object.keys(errors).length && Date.now() < deadline) await sleep(100);
    expect(Object.keys(linesPerConnection(app, 'redis connection recovered')).sort()).toEqual(Object.keys(errors).sort());

    await redis.kill();
    await sleep(1_000);
    const { exit, ms } = await stopTimed(app);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(STOP_WITHIN_MS);
    expect(stderr()).toBe('');
  });
});
