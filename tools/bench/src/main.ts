import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { formatCpu, log, round, RssSampler, SmsRouter, Stack, type CpuShare } from './harness';
import { idleRss, memoryFigures, type MemoryFigures } from './memory.bench';
import { enrollSmsFactors, IN_FLIGHT, pipelineBench, type PipelineFigures, type SmsFactor } from './pipeline.bench';
import { pushBench, type PushResult } from './push.bench';
import { scaleOutBench, type ScaleOutFigures } from './scale-out.bench';
import { verifyBench, type VerifyFigures } from './verify.bench';

/**
 * `npm run bench [-- --quick] [--json FILE] [--only pipeline,verify,push,memory,scale_out] [--database postgres|sqlite]`
 *
 * Runs the benchmarks against the built apps (real processes, PostgreSQL, Redis, loopback fakes),
 * each next to a baseline measured in the same run, and prints one table with the machine's facts.
 * Not a test: nothing here asserts on time.
 */

const BENCHES = ['pipeline', 'verify', 'push', 'memory', 'scale_out'] as const;
type BenchName = (typeof BENCHES)[number];

/** Each phase stops at its count or its time, whichever comes first (the machines are shared and vary). */
interface Sizes {
  smsFactors: number;
  enrollSeconds: number;
  pipelineChallenges: number;
  pipelineSeconds: number;
  verifyUsers: number;
  verifySeconds: number;
  scaleOutChallenges: number;
  scaleOutSeconds: number;
  pushApprovals: number;
  pushSeconds: number;
}

const QUICK: Sizes = { smsFactors: 200, enrollSeconds: 3, pipelineChallenges: 3_000, pipelineSeconds: 3, verifyUsers: 3_000, verifySeconds: 2, scaleOutChallenges: 2_000, scaleOutSeconds: 2, pushApprovals: 40, pushSeconds: 2 };
const FULL: Sizes = { smsFactors: 1_000, enrollSeconds: 60, pipelineChallenges: 100_000, pipelineSeconds: 40, verifyUsers: 60_000, verifySeconds: 20, scaleOutChallenges: 60_000, scaleOutSeconds: 25, pushApprovals: 600, pushSeconds: 30 };

interface Options {
  quick: boolean;
  /** The gateway's database: PostgreSQL (the default here) or the embedded SQLite default of `npm start`. */
  database: 'postgres' | 'sqlite';
  json?: string;
  only: Set<BenchName>;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, database: 'postgres', only: new Set(BENCHES) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--json') options.json = argv[++i];
    else if (arg.startsWith('--json=')) options.json = arg.slice('--json='.length);
    else if (arg === '--database' || arg.startsWith('--database=')) {
      const database = arg === '--database' ? argv[++i] : arg.slice('--database='.length);
      if (database !== 'postgres' && database !== 'sqlite') throw new Error('--database takes postgres or sqlite');
      options.database = database;
    }
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      const names = (list ?? '').split(',').map((s) => s.trim().replace('-', '_')).filter(Boolean);
      const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) throw new Error(`--only takes a comma-separated list of ${BENCHES.join(', ')}`);
      options.only = new Set(names as BenchName[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench -- [--quick] [--json FILE] [--only pipeline,verify,push,memory,scale_out] [--database postgres|sqlite]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  if (options.json === '') throw new Error('--json needs a file name');
  return options;
}

interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  node: string;
  kernel: string;
  date: string;
  mode: 'quick' | 'full';
  /** The gateway's database in this run. */
  database: 'postgres' | 'sqlite';
  /** 1-minute load average when the run began and when it ended: other work on a shared machine. */
  load_avg_start: number;
  load_avg_end?: number;
}

function machine(quick: boolean, database: Machine['database']): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    database,
    load_avg_start: round(loadavg()[0], 2),
  };
}

interface Results {
  machine: Machine;
  pipeline?: PipelineFigures;
  verify?: VerifyFigures;
  push?: PushResult;
  memory?: MemoryFigures;
  scale_out?: ScaleOutFigures;
  seconds?: number;
}

const DATABASE_NAMES = { postgres: 'PostgreSQL', sqlite: 'SQLite (embedded)' } as const;

async function run(options: Options, results: Results, stackRef: { stack?: Stack }): Promise<void> {
  const sizes = options.quick ? QUICK : FULL;
  const only = options.only;
  log(`starting the stack (gateway on ${DATABASE_NAMES[options.database]}, otp, telephony and email workers)`);
  const stack = await new Stack(options.database).start();
  stackRef.stack = stack;
  const client = stack.client();
  const router = new SmsRouter(stack.twilio);
  const load = new RssSampler(stack);
  try {
    const idle = await idleRss(stack);
    let factors: SmsFactor[] = [];
    const needFactors = only.has('pipeline') || only.has('scale_out') || only.has('memory');
    if (needFactors) {
      log(`enrolling ${sizes.smsFactors} SMS factors (distinct users and numbers, ${IN_FLIGHT} in flight)`);
      factors = await enrollSmsFactors(client, router, sizes.smsFactors, sizes.enrollSeconds);
      if (factors.length === 0) throw new Error('no SMS factor could be enrolled');
    }
    if (only.has('pipeline') || only.has('memory')) {
      // Memory alone still needs the load the pipeline puts on every process.
      const [challenges, seconds] = only.has('pipeline') ? [sizes.pipelineChallenges, sizes.pipelineSeconds] : [sizes.scaleOutChallenges, sizes.scaleOutSeconds];
      const figures = await pipelineBench(stack, client, router, factors, challenges, seconds, load);
      if (only.has('pipeline')) results.pipeline = figures;
    }
    if (only.has('verify')) results.verify = await verifyBench(stack, client, sizes.verifyUsers, sizes.verifySeconds);
    if (only.has('scale_out')) results.scale_out = await scaleOutBench(stack, client, router, factors, sizes.scaleOutChallenges, sizes.scaleOutSeconds, load);
    if (only.has('push')) {
      results.push = await pushBench(stack, client, sizes.pushApprovals, sizes.pushSeconds);
    }
    if (only.has('memory')) {
      results.memory = memoryFigures(idle, load);
      // A push worker is started by the push benchmark only; its figures come from there.
      if (results.push && 'push_worker_rss' in results.push && results.push.push_worker_rss) results.memory['push-worker'] = results.push.push_worker_rss;
    }
  } finally {
    router.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

const f0 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));

function table(results: Results): string {
  const m = results.machine;
  const rows: string[][] = [['benchmark', 'figure', 'value', 'same-run baseline', 'ratio']];
  const p = results.pipeline;
  if (p) {
    rows.push(['1 challenge pipeline', `SMS delivered/s (${IN_FLIGHT} in flight, ${p.challenges} challenges)`, f0(p.delivered_per_s), `BullMQ 2 hops, empty jobs: ${f0(p.baseline_per_s)} jobs/s`, f2(p.ratio)]);
    rows.push(['', 'StartChallenge accepted/s', f0(p.accepted_per_s), '', '']);
    rows.push(['', 'RPC → provider p50 / p95 / p99 ms', `${f1(p.p50_ms)} / ${f1(p.p95_ms)} / ${f1(p.p99_ms)}`, '', '']);
  }
  const v = results.verify;
  if (v) {
    rows.push(['2 verify path', `TOTP VerifyChallenge calls/s (${IN_FLIGHT} in flight, ${v.calls} calls)`, f0(v.per_s), `grpc-js unary echo: ${f0(v.baseline_per_s)} calls/s`, f2(v.ratio)]);
    rows.push(['', 'p50 / p99 ms', `${f1(v.p50_ms)} / ${f1(v.p99_ms)}`, `echo: ${f1(v.baseline_latency.p50)} / ${f1(v.baseline_latency.p99)}`, '']);
  }
  const push = results.push;
  if (push) {
    if ('skipped' in push) rows.push(['3 push approval', 'end to end', `skipped: ${push.skipped}`, '', '']);
    else rows.push(['3 push approval', `Start → ${push.mode === 'fcm' ? 'FCM' : 'device poll'} → SDK approve → Watch APPROVED p50 / p99 ms`, `${f1(push.p50_ms)} / ${f1(push.p99_ms)}`, '', '']);
  }
  const mem = results.memory;
  if (mem) {
    let first = true;
    for (const [app, figures] of Object.entries(mem)) {
      rows.push([first ? '4 memory (RSS)' : '', `${app} idle / under load MB`, `${f0(figures.idle_mb)} / ${f0(figures.load_mb)}`, '', '']);
      first = false;
    }
  }
  const s = results.scale_out;
  if (s) {
    let first = true;
    for (const step of s.steps) {
      rows.push([first ? '5 scale-out' : '', `${step.telephony_workers} telephony worker${step.telephony_workers > 1 ? 's' : ''}: delivered/s`, f0(step.delivered_per_s), `CPU all processes: ${f0(step.total_cpu_percent)}% of ${m.cores * 100}%`, '']);
      first = false;
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  const out = [
    `MFA gateway benchmarks (${m.mode}, gateway on ${DATABASE_NAMES[m.database]}), ${m.date}`,
    `machine: ${m.cpu} × ${m.cores} cores, ${m.memory_gb} GiB RAM, Node ${m.node}, ${m.kernel}; load average ${m.load_avg_start} at start, ${m.load_avg_end ?? '?'} at end`,
    '',
    line(rows[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
  const notes: string[] = [];
  const cpu = (label: string, shares: CpuShare[]): void => void notes.push(`${label}: ${formatCpu(shares)}`);
  if (p) {
    cpu('CPU during the pipeline (% of one core)', p.cpu);
    cpu('CPU during its baseline', p.baseline_cpu);
  }
  if (v) {
    cpu('CPU during verify', v.cpu);
    cpu('CPU during its echo baseline', v.baseline_cpu);
  }
  if (push && !('skipped' in push) && push.note) notes.push(`push: device polled because ${push.note}`);
  if (s) {
    for (const step of s.steps) cpu(`CPU with ${step.telephony_workers} telephony worker(s)`, step.cpu);
    notes.push(`scale-out: ${s.explanation}`);
  }
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  return out.join('\n');
}

function json(results: Results): unknown {
  const r = (x: number): number => round(x, 2);
  const out: Record<string, unknown> = {};
  if (results.pipeline) {
    const p = results.pipeline;
    out.pipeline = { ratio: r(p.ratio), accepted_per_s: r(p.accepted_per_s), delivered_per_s: r(p.delivered_per_s), baseline_per_s: r(p.baseline_per_s), p50_ms: r(p.p50_ms), p95_ms: r(p.p95_ms), p99_ms: r(p.p99_ms) };
  }
  if (results.verify) {
    const v = results.verify;
    out.verify = { ratio: r(v.ratio), per_s: r(v.per_s), baseline_per_s: r(v.baseline_per_s), p50_ms: r(v.p50_ms), p99_ms: r(v.p99_ms) };
  }
  if (results.push) out.push = 'skipped' in results.push ? { skipped: results.push.skipped } : { p50_ms: r(results.push.p50_ms), p99_ms: r(results.push.p99_ms), mode: results.push.mode };
  if (results.memory) out.memory = Object.fromEntries(Object.entries(results.memory).map(([app, m]) => [app, { idle_mb: r(m.idle_mb), load_mb: r(m.load_mb) }]));
  if (results.scale_out) {
    out.scale_out = {
      steps: results.scale_out.steps.map((s) => ({ telephony_workers: s.telephony_workers, delivered_per_s: r(s.delivered_per_s), total_cpu_percent: r(s.total_cpu_percent), cpu_percent: Object.fromEntries(s.cpu.map((c) => [c.name, r(c.percent)])) })),
      explanation: results.scale_out.explanation,
    };
  }
  out.machine = results.machine;
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const results: Results = { machine: machine(options.quick, options.database) };
  const stackRef: { stack?: Stack } = {};
  const began = performance.now();
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: cleaning up');
    void (stackRef.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await run(options, results, stackRef);
  } finally {
    log('cleaning up (processes, the database, Redis keys)');
    await stackRef.stack?.stop();
  }
  results.seconds = round((performance.now() - began) / 1000, 1);
  results.machine.load_avg_end = round(loadavg()[0], 2);
  process.stdout.write(`${table(results)}\n\n(total ${results.seconds} s)\n`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(json(results), null, 2)}\n`);
    log(`figures written to ${options.json}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
