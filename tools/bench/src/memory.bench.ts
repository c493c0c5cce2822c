import { rssMb, sleep, type RssSampler, type Stack } from './harness';

/**
 * 4. Memory: VmRSS (/proc/<pid>/status) of the gateway and of each worker, idle (started, ready,
 * settled, before any load) and under load (the peak sampled every 200 ms during the load runs).
 */

export type MemoryFigures = Record<string, { idle_mb: number; load_mb: number }>;

/** RSS of every running app now, after `settleMs`, keyed by process name (`gateway#1`). */
export async function idleRss(stack: Stack, settleMs = 1_500): Promise<Map<string, number>> {
  await sleep(settleMs);
  return new Map(stack.apps.map((a) => [a.name, rssMb(a.pid)]));
}

/** Per app (the first process of each), idle and peak-under-load RSS in MB. */
export function memoryFigures(idle: Map<string, number>, load: RssSampler): MemoryFigures {
  const figures: MemoryFigures = {};
  for (const [name, idleMb] of idle) {
    const app = name.replace(/#\d+$/, '');
    if (figures[app]) continue;
    figures[app] = { idle_mb: idleMb, load_mb: load.peakMb.get(name) ?? NaN };
  }
  return figures;
}
