import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { MfaClient } from '@mfa/client';
import { Keyring } from '@mfa/crypto';
import { SmtpFake, TwilioFake, type ReceivedMessage } from '@mfa/fakes';
import { createTestDatabase, freePort, type TestDatabase, type TestDriver } from '@mfa/testing';

/**
 * The product as operators run it, for measuring: the built apps as child processes on one
 * database (PostgreSQL, or the embedded SQLite default) and one Redis prefix of their own, with the loopback provider fakes in this
 * process. Unlike the e2e stack, app output goes to log files (piping it here would charge the
 * bench process for every log line) and each process can be sampled from /proc.
 */

export const ROOT = join(__dirname, '..', '..', '..', '..');
export const DIST = join(ROOT, 'dist');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const READY_TIMEOUT_MS = 30_000;
/** Extra node flags for every app, e.g. `BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const STOP_TIMEOUT_MS = 30_000;
/** Workers run with the V8 old-space cap the Dockerfile gives them (WORKER_HEAP_MB, default 96). */
const heapFlags = (app: AppName): string[] => (app.endsWith('-worker') ? [`--max-old-space-size=${process.env.WORKER_HEAP_MB || 96}`] : []);
/** Far above anything a run sends: the abuse limits must not throttle a benchmark. */
const UNLIMITED = '1000000000/60';

export type AppName = 'gateway' | 'otp-worker' | 'telephony-worker' | 'email-worker' | 'push-worker';

export interface App {
  /** `telephony-worker#2` when several of one app run. */
  name: string;
  app: AppName;
  child: ChildProcess;
  pid: number;
  httpUrl: string;
  grpcAddress?: string;
  logFile: string;
  exited: Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function appBuilt(app: AppName): boolean {
  return existsSync(join(DIST, 'apps', app, 'src', 'main.js'));
}

export class Stack {
  readonly apps: App[] = [];
  readonly twilio = new TwilioFake();
  readonly smtp = new SmtpFake();
  readonly redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  readonly prefix = `{mfa-bench-${randomBytes(5).toString('hex')}}`;
  readonly apiKey = `mfa_bench_${randomBytes(18).toString('base64url')}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'mfa-bench-'));
  /** Extra environment of every app (push settings, say). */
  readonly extraEnv: Record<string, string> = {};
  private database: TestDatabase | undefined;
  private clients: MfaClient[] = [];
  private counter = 0;
  private readonly stoppables: { stop(): Promise<void> }[] = [];

  constructor(readonly driver: TestDriver = 'postgres') {}

  async start(): Promise<this> {
    this.database = await createTestDatabase(this.driver);
    await this.twilio.start();
    await this.smtp.start();
    await this.startApp('gateway');
    await Promise.all([this.startApp('otp-worker'), this.startApp('telephony-worker'), this.startApp('email-worker')]);
    return this;
  }

  /** A fake or helper this stack stops with itself. */
  own(stoppable: { stop(): Promise<void> }): void {
    this.stoppables.push(stoppable);
  }

  get gateway(): App {
    const gateway = this.apps.find((a) => a.app === 'gateway');
    if (!gateway) throw new Error('no gateway running');
    return gateway;
  }

  client(): MfaClient {
    const client = new MfaClient({ address: this.gateway.grpcAddress!, apiKey: this.apiKey, retries: 0, timeoutMs: 30_000 });
    this.clients.push(client);
    return client;
  }

  env(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      MFA_DATA_DIR: this.dataDir,
      DATABASE_URL: this.database!.url,
      REDIS_URL,
      QUEUE_PREFIX: this.prefix,
      MFA_ENCRYPTION_KEYS: this.keys,
      MFA_BOOTSTRAP_API_KEY: this.apiKey,
      MFA_ADMIN_TOKEN: this.adminToken,
      MFA_SEND_LIMIT_PER_DESTINATION: UNLIMITED,
      MFA_SEND_LIMIT_PER_USER: UNLIMITED,
      MFA_SEND_LIMIT_PER_TENANT: UNLIMITED,
      TWILIO_ACCOUNT_SID: this.twilio.accountSid,
      TWILIO_AUTH_TOKEN: this.twilio.authToken,
      TWILIO_FROM_NUMBER: '+15005550006',
      TWILIO_API_BASE_URL: this.twilio.url,
      SMTP_URL: this.smtp.url,
      MAIL_FROM: '"MFA Gateway" <no-reply@mfa.example>',
      ...this.extraEnv,
    };
  }

  private readonly keys = Keyring.generateSpec('bench1');
  private readonly adminToken = randomBytes(24).toString('base64url');

  async startApp(app: AppName): Promise<App> {
    const name = `${app}#${++this.counter}`;
    const httpPort = await freePort();
    const grpcPort = app === 'gateway' ? await freePort() : undefined;
    const logFile = join(this.dataDir, `${name.replace('#', '-')}.log`);
    const fd = openSync(logFile, 'a');
    const env = { ...this.env(), HTTP_PORT: String(httpPort), ...(grpcPort ? { GRPC_PORT: String(grpcPort) } : {}) };
    const child = spawn(process.execPath, [...NODE_ARGS, ...heapFlags(app), join(DIST, 'apps', app, 'src', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const started: App = { name, app, child, pid: child.pid!, httpUrl: `http://127.0.0.1:${httpPort}`, grpcAddress: grpcPort ? `127.0.0.1:${grpcPort}` : undefined, logFile, exited };
    this.apps.push(started);
    await waitForReady(started);
    return started;
  }

  async stopApp(app: App): Promise<void> {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
    const timer = setTimeout(() => app.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await app.exited;
    clearTimeout(timer);
    this.apps.splice(this.apps.indexOf(app), 1);
  }

  /** Everything goes: processes, fakes, the database, the Redis keys of the prefix, temp files. */
  async stop(): Promise<void> {
    this.clients.forEach((c) => c.close());
    await Promise.all([...this.apps].map((a) => this.stopApp(a)));
    await Promise.all([this.twilio.stop(), this.smtp.stop(), ...this.stoppables.map((s) => s.stop())].map((p) => p.catch(() => undefined)));
    await deleteKeys(this.redis, this.prefix).catch(() => undefined);
    this.redis.disconnect();
    await this.database?.drop().catch(() => undefined);
    if (process.env.BENCH_KEEP_LOGS) log(`app logs kept in ${this.dataDir}`);
    else rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The Redis server's pid (INFO server), for its CPU time. */
  async redisPid(): Promise<number | undefined> {
    const match = /process_id:(\d+)/.exec(await this.redis.info('server'));
    return match ? Number(match[1]) : undefined;
  }

  /** PostgreSQL backends serving this stack's database (not other databases on the server). */
  async postgresPids(): Promise<number[]> {
    if (this.driver !== 'postgres') return [];
    const client = new Client({ connectionString: this.database!.url });
    await client.connect();
    try {
      const result = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      return result.rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  }

  /** The last lines an app wrote, for error messages. */
  tail(app: App, lines = 20): string {
    try {
      return readFileSync(app.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

async function waitForReady(app: App): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null || app.child.signalCode !== null) {
      throw new Error(`${app.name} exited before it was ready:\n${readFileSync(app.logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
    }
    const status = await fetch(`${app.httpUrl}/readyz`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(`${app.name} was not ready within ${READY_TIMEOUT_MS} ms`);
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  // Bounded: SCAN ends when the cursor comes back to 0; a key space of a million keys is 1,000 rounds.
  for (let round = 0; round < 100_000; round++) {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (batch.length > 0) deleted += await redis.unlink(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Routing what the Twilio fake receives: one hook, per-number waiters.

/**
 * Hands each SMS the fake accepts to whoever waits for that number, in order, with the time it
 * arrived (performance.now() of this process, the clock the RPCs are timed with).
 */
export class SmsRouter {
  private readonly waiting = new Map<string, ((m: ReceivedMessage, at: number) => void)[]>();
  /** Messages nobody waited for. */
  unexpected = 0;
  private readonly unsubscribe: () => void;

  constructor(twilio: TwilioFake) {
    this.unsubscribe = twilio.onMessage((message) => {
      const at = performance.now();
      const queue = this.waiting.get(message.to);
      const next = queue?.shift();
      if (queue && queue.length === 0) this.waiting.delete(message.to);
      if (next) next(message, at);
      else this.unexpected++;
    });
  }

  /**
   * Calls `handler` with the next message to `to` (messages to one number arrive in order).
   * Returns a function that withdraws the handler (when no message will come for it after all).
   */
  expect(to: string, handler: (m: ReceivedMessage, at: number) => void): () => void {
    let queue = this.waiting.get(to);
    if (!queue) this.waiting.set(to, (queue = []));
    queue.push(handler);
    return () => {
      const current = this.waiting.get(to);
      const index = current?.indexOf(handler) ?? -1;
      if (current && index >= 0) current.splice(index, 1);
      if (current && current.length === 0) this.waiting.delete(to);
    };
  }

  next(to: string, timeoutMs = 30_000): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMS within ${timeoutMs} ms`)), timeoutMs);
      this.expect(to, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  /** Messages still awaited. */
  pending(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  clear(): void {
    this.waiting.clear();
  }

  stop(): void {
    this.unsubscribe();
  }
}

const CODE = /(?<![0-9])([0-9]{6,8})(?![0-9])/;
export function codeFromSms(message: ReceivedMessage): string {
  const match = CODE.exec(message.body);
  if (!match) throw new Error('no code in the SMS body');
  return match[1];
}

/** The i-th of 50,000 distinct valid US numbers (+1 <area> 555 xxxx). */
export function usNumber(i: number): string {
  const areas = ['415', '650', '212', '312', '617'];
  return `+1${areas[Math.floor(i / 10_000) % areas.length]}555${String(i % 10_000).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Load and statistics.

/**
 * Runs `task(i)` for i = 0..count-1 with exactly `inFlight` calls outstanding, stopping early at
 * `deadline` (performance.now() time). Returns how many were started.
 */
export async function closedLoop(count: number, inFlight: number, task: (i: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return next;
}

/** `call()`, tried again (up to 3 times, 200 ms apart) when it fails with UNAVAILABLE: for preparation only. */
export async function withRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: number }).code !== 14 || attempt >= 3) throw error;
      await sleep(200);
    }
  }
}

/** performance.now() `seconds` from now. */
export const deadlineIn = (seconds: number): number => performance.now() + seconds * 1000;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : NaN);

// ---------------------------------------------------------------------------------------------
// /proc sampling: RSS and CPU time of processes.

const CLOCK_TICKS = 100; // USER_HZ on Linux

export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state(0) ppid(1) … utime(11) stime(12).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

export interface CpuShare {
  name: string;
  /** Percent of one core over the window. */
  percent: number;
}

/**
 * CPU used between `begin()` and `end()`, as percent of one core, by each app of the stack, this
 * bench process, the Redis server the stack uses (its pid from INFO) and the PostgreSQL backends
 * connected to the stack's database (other databases on the same server are not counted).
 */
export class CpuMeter {
  private startWall = 0;
  private startCpu = new Map<number, number>();
  private startSelf: NodeJS.CpuUsage = process.cpuUsage();
  private groups = new Map<string, number[]>();

  constructor(private readonly stack: Stack) {}

  private async currentGroups(): Promise<Map<string, number[]>> {
    const groups = new Map<string, number[]>();
    for (const app of this.stack.apps) groups.set(app.name, [app.pid]);
    groups.set('redis-server', await this.stack.redisPid().then((pid) => (pid ? [pid] : []), () => []));
    if (this.stack.driver === 'postgres') groups.set('postgres (this db)', await this.stack.postgresPids().catch(() => []));
    return groups;
  }

  async begin(): Promise<void> {
    this.groups = await this.currentGroups();
    this.startCpu = new Map([...this.groups.values()].flat().map((pid) => [pid, cpuSeconds(pid)]));
    this.startSelf = process.cpuUsage();
    this.startWall = performance.now();
  }

  async end(): Promise<CpuShare[]> {
    const wall = (performance.now() - this.startWall) / 1000;
    const self = process.cpuUsage(this.startSelf);
    const shares: CpuShare[] = [];
    const ends = await this.currentGroups();
    for (const [name, pids] of ends) {
      // A process that appeared meanwhile (a new PostgreSQL backend) used all its CPU in the window.
      const used = sum(pids.map((pid) => cpuSeconds(pid) - (this.startCpu.get(pid) ?? 0)));
      shares.push({ name, percent: (100 * used) / wall });
    }
    shares.push({ name: 'bench (client + fakes)', percent: (100 * (self.user + self.system)) / 1e6 / wall });
    return shares;
  }
}

function sum(values: number[]): number {
  return values.filter((v) => Number.isFinite(v)).reduce((a, b) => a + b, 0);
}

export function formatCpu(shares: CpuShare[]): string {
  return shares
    .filter((s) => Number.isFinite(s.percent))
    .map((s) => `${s.name} ${Math.round(s.percent)}%`)
    .join(', ');
}

/** Peak RSS of each app while `sampling`, read every 200 ms. */
export class RssSampler {
  readonly peakMb = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stack: Stack) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    for (const app of this.stack.apps) {
      const mb = rssMb(app.pid);
      if (Number.isFinite(mb)) this.peakMb.set(app.name, Math.max(this.peakMb.get(app.name) ?? 0, mb));
    }
  }
}

const began = performance.now();
export function log(line: string): void {
  process.stderr.write(`[bench +${((performance.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
}
