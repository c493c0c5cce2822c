import { status, type ServiceError } from '@grpc/grpc-js';

/** One gRPC call the load generator made. */
export interface CallRecord {
  method: string;
  startedAt: number;
  endedAt: number;
  /** gRPC status (0 = OK). */
  code: number;
  details: string;
  /** The challenge a successful StartChallenge created. */
  challengeId?: string;
  /** Whose call it was. */
  userId?: string;
}

export const latency = (r: CallRecord): number => r.endedAt - r.startedAt;

export async function record<T>(method: string, call: () => Promise<T>, onOk?: (value: T, rec: CallRecord) => void, userId?: string): Promise<CallRecord> {
  const startedAt = Date.now();
  try {
    const value = await call();
    const rec: CallRecord = { method, startedAt, endedAt: Date.now(), code: status.OK, details: '', userId };
    onOk?.(value, rec);
    return rec;
  } catch (error) {
    const e = error as ServiceError;
    return { method, startedAt, endedAt: Date.now(), code: typeof e.code === 'number' ? e.code : -1, details: e.details ?? String(error), userId };
  }
}

/**
 * Runs `lanes` loops of `step` until `stop()` is called; every call is recorded. A lane never
 * waits less than `pauseMs` between calls, so the load stays steady while calls fail fast.
 */
export function runLoad(lanes: number, step: (lane: number, i: number) => Promise<CallRecord>, pauseMs = 20): { records: CallRecord[]; stop(): Promise<CallRecord[]> } {
  const records: CallRecord[] = [];
  let running = true;
  const loops = Array.from({ length: lanes }, async (_, lane) => {
    for (let i = 0; running; i++) {
      records.push(await step(lane, i));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    records,
    async stop() {
      running = false;
      await Promise.all(loops);
      return records;
    },
  };
}

/** "UNAVAILABLE×12, OK×40" */
export function summarize(records: CallRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = `${r.method}:${status[r.code] ?? r.code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, n]) => `${k}×${n}`).join(', ');
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
