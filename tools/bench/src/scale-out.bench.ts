import { cpus } from 'node:os';
import type { MfaClient } from '@mfa/client';
import { log, type App, type CpuShare, type RssSampler, type SmsRouter, type Stack } from './harness';
import { runPipeline, type SmsFactor } from './pipeline.bench';

/**
 * 5. Scale-out: the pipeline with 1, 2 and 4 telephony-worker processes (one gateway, one otp
 * worker), with the CPU each process used, to show where delivered/s stops growing and why.
 */

export interface ScaleOutStep {
  telephony_workers: number;
  delivered_per_s: number;
  accepted_per_s: number;
  p99_ms: number;
  cpu: CpuShare[];
  /** Sum over every process measured, percent of one core (200 = both cores of this machine). */
  total_cpu_percent: number;
}

export interface ScaleOutFigures {
  steps: ScaleOutStep[];
  explanation: string;
}

export async function scaleOutBench(stack: Stack, client: MfaClient, router: SmsRouter, factors: SmsFactor[], count: number, maxSeconds: number, rss: RssSampler, counts = [1, 2, 4]): Promise<ScaleOutFigures> {
  const steps: ScaleOutStep[] = [];
  const started: App[] = [];
  try {
    for (const n of counts) {
      const missing = n - stack.apps.filter((a) => a.app === 'telephony-worker').length;
      started.push(...(await Promise.all(Array.from({ length: Math.max(0, missing) }, () => stack.startApp('telephony-worker')))));
      log(`scale-out: ${n} telephony worker(s), up to ${count} challenges or ${maxSeconds} s`);
      const run = await runPipeline(stack, client, router, factors, count, maxSeconds, rss);
      const total = run.cpu.reduce((a, s) => a + (Number.isFinite(s.percent) ? s.percent : 0), 0);
      steps.push({ telephony_workers: n, delivered_per_s: run.delivered_per_s, accepted_per_s: run.accepted_per_s, p99_ms: run.latency.p99, cpu: run.cpu, total_cpu_percent: total });
      log(`scale-out: ${n} → delivered ${Math.round(run.delivered_per_s)}/s, CPU total ${Math.round(total)}% of ${cores() * 100}%`);
    }
  } finally {
    for (const app of started) await stack.stopApp(app);
  }
  return { steps, explanation: explain(steps) };
}

function cores(): number {
  return cpus().length;
}

/** One line from the numbers: where delivered/s stops growing and which process holds the CPU. */
export function explain(steps: ScaleOutStep[]): string {
  if (steps.length === 0) return '';
  let stop = steps.length - 1;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].delivered_per_s < steps[i - 1].delivered_per_s * 1.1) {
      stop = i - 1;
      break;
    }
  }
  const at = steps[stop];
  const capacity = cores() * 100;
  const byName = (step: ScaleOutStep, pattern: RegExp): number => step.cpu.filter((s) => pattern.test(s.name)).reduce((a, s) => a + s.percent, 0);
  const last = steps[steps.length - 1];
  const top = [...last.cpu].sort((a, b) => b.percent - a.percent).slice(0, 3).map((s) => `${s.name.replace(/#\d+$/, '')} ${Math.round(s.percent)}%`).join(', ');
  const telephony = byName(last, /^telephony-worker/);
  const growth = steps.map((s) => Math.round(s.delivered_per_s)).join(' → ');
  const usage = `with ${last.telephony_workers} workers all processes together use ${Math.round(last.total_cpu_percent)}% of the ${capacity}% this machine has (top: ${top}; all telephony workers ${Math.round(telephony)}%)`;
  if (stop === steps.length - 1) {
    return `delivered/s ${growth}: still growing at ${at.telephony_workers} workers (the telephony stage was a limit); ${usage}, so the ${cores()} cores are the next ceiling.`;
  }
  return `delivered/s ${growth}: stops growing after ${at.telephony_workers} telephony worker${at.telephony_workers > 1 ? 's' : ''}; ${usage}, so more telephony processes only compete for the same ${cores()} cores.`;
}
