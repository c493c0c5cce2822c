import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Keyring } from '@mfa/crypto';
import { redisKeys } from '@mfa/testing';
import type { AppExit } from '../src/app-stop';

/**
 * `npm start` as operators run it: the built dev program (dist/tools/dev/src/main.js) as a child
 * process, with the apps it starts. Development runs need the local Redis. Ports come from one
 * free block (gateway, workers +1..+5, gRPC +6, fakes +10..+13), searched upward from
 * DEV_E2E_PORT_FROM when set.
 */
const ROOT = join(__dirname, '..', '..', '..');
const DEV_MAIN = join(ROOT, 'dist', 'tools', 'dev', 'src', 'main.js');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const APP_COUNT = 6;

interface DevRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<AppExit>;
}

const runs: DevRun[] = [];
const prefixes: string[] = [];

/** A queue prefix of this run's own; its keys are deleted at the end. */
function queuePrefix(): string {
  const prefix = `{dev-e2e-${randomBytes(6).toString('hex')}}`;
  prefixes.push(prefix);
  return prefix;
}

/** Its own process group, so a failed test can end it and its apps at once. */
function startDev(env: Record<string, string>): DevRun {
  const child = spawn(process.execPath, [DEV_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const chunks: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exited = new Promise<AppExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const run = { child, output: () => chunks.join(''), exited };
  runs.push(run);
  return run;
}

afterAll(async () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  for (const prefix of prefixes) {
    const keys = await redisKeys(redis, prefix);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // the whole group is gone: the usual case
    }
    await run.exited;
  }
});

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

async function freePortBlock(size: number): Promise<number> {
  let from = Number(process.env.DEV_E2E_PORT_FROM) || 20_000 + Math.floor(Math.random() * 10_000);
  for (let tries = 0; tries < 50; tries++, from += size) {
    let free = true;
    for (let port = from; port < from + size && free; port++) free = await portIsFree(port);
    if (free) return from;
  }
  throw new Error('no block of free ports');
}

async function allReady(basePort: number, dev: DevRun): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dev.child.exitCode !== null || dev.child.signalCode !== null) throw new Error(`npm start exited before its apps were ready:\n${dev.output()}`);
    const statuses = await Promise.all(
      Array.from({ length: APP_COUNT }, (_, i) => fetch(`http://127.0.0.1:${basePort + i}/readyz`).then((r) => r.status, () => 0)),
    );
    if (statuses.every((s) => s === 200)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`apps not ready within 60 s:\n${dev.output()}`);
}

/** The pid of the app child of `npm start` whose entry is apps/<app>/src/main.js (read from /proc: no procps needed). */
function appPid(devPid: number, app: string): number {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === devPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`apps/${app}/src/main.js`)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no ${app} under npm start (pid ${devPid})`);
}

describe('npm start with NODE_ENV=production', () => {
  let dataDir: string;
  let basePort: number;
  beforeAll(async () => {
    basePort = await freePortBlock(14);
  });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'dev-e2e-prod-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const productionEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    MFA_DATA_DIR: dataDir,
    HTTP_PORT: String(basePort),
    GRPC_PORT: String(basePort + 6),
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix(),
    ...extra,
  });

  it('without MFA_ENCRYPTION_KEYS: makes no development key; the apps refuse to start naming MFA_ENCRYPTION_KEYS, and it exits non-zero', async () => {
    const dev = startDev(productionEnv());
    const exit = await within(dev.exited, 30_000, 'npm start did not exit');
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(dev.output()).toMatch(/\] [a-z-]+: MFA_ENCRYPTION_KEYS is required when NODE_ENV=production\n/);
    expect(existsSync(join(dataDir, 'encryption-keys'))).toBe(false);
  });

  it('without provider settings: plays them with the loopback fakes (API.md §6), saying loudly that nothing reaches real users, and stops cleanly', async () => {
    const dev = startDev(productionEnv({ MFA_ENCRYPTION_KEYS: Keyring.generateSpec('p1'), MFA_ADMIN_TOKEN: 'production-admin-token', DATABASE_URL: `sqlite:${join(dataDir, 'mfa.sqlite')}` }));
    await allReady(basePort, dev);
    for (const variable of ['TWILIO_ACCOUNT_SID', 'SMTP_URL', 'FIREBASE_PROJECT_ID', 'DUO_INTEGRATION_KEY']) {
      expect(dev.output()).toMatch(new RegExp(`NODE_ENV=production but no ${variable}: .*loopback .*fake.*; nothing reaches real users`));
    }
    expect(existsSync(join(dataDir, 'encryption-keys'))).toBe(false);
    dev.child.kill('SIGTERM');
    expect(await within(dev.exited, 40_000, 'npm start did not stop')).toEqual({ code: 0, signal: null });
  });
});

describe('npm start in development', () => {
  const prefix = queuePrefix();
  let dataDir: string;
  let basePort: number;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dev-e2e-'));
    basePort = await freePortBlock(14);
    env = { PATH: process.env.PATH ?? '', MFA_DATA_DIR: dataDir, HTTP_PORT: String(basePort), GRPC_PORT: String(basePort + 6), REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('warns that it generated the encryption key, prints the API key and the admin token, and SIGTERM stops every app cleanly with exit 0', async () => {
    const dev = startDev(env);
    await allReady(basePort, dev);
    expect(dev.output()).toContain(`[dev] warning: MFA_ENCRYPTION_KEYS not set: generated a development encryption key into ${join(dataDir, 'encryption-keys')}`);
    expect(dev.output()).toMatch(/API key \(tenant "default"\): mfa_\S{16,}/);
    expect(dev.output()).toMatch(/Admin token \(queue dashboard \/admin\/queues, MFA_ADMIN_TOKEN\): \S{16,}/);

    dev.child.kill('SIGTERM');
    const exit = await within(dev.exited, 40_000, 'npm start did not stop');
    expect({ exit, unclean: dev.output().match(/did not stop cleanly.*/g) }).toEqual({ exit: { code: 0, signal: null }, unclean: null });
    const left = await Promise.all(Array.from({ length: APP_COUNT }, (_, i) => fetch(`http://127.0.0.1:${basePort + i}/healthz`).then(() => basePort + i, () => undefined)));
    expect(left.filter(Boolean)).toEqual([]);
  });

  it('exits non-zero when an app fails to stop cleanly (killed while stopping), after stopping the rest', async () => {
    const dev = startDev(env);
    await allReady(basePort, dev);
    expect(dev.output()).toContain('[dev] warning: MFA_ENCRYPTION_KEYS not set: using the development encryption key in');

    // Frozen, the duo worker cannot drain; it is killed once npm start is stopping.
    const duo = appPid(dev.child.pid!, 'duo-worker');
    process.kill(duo, 'SIGSTOP');
    dev.child.kill('SIGTERM');
    await within(
      (async () => {
        while (!dev.output().includes('[dev] stopping ')) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      10_000,
      'npm start did not begin stopping',
    );
    process.kill(duo, 'SIGKILL');
    const exit = await within(dev.exited, 40_000, 'npm start did not stop');
    expect(exit).toEqual({ code: 1, signal: null });
    expect(dev.output().match(/did not stop cleanly.*/g)).toEqual(['did not stop cleanly (SIGKILL)']);
    expect(dev.output()).toContain('[dev] duo-worker did not stop cleanly (SIGKILL)');
  });
});
