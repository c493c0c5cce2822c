/**
 * How long `npm start` waits after SIGTERM before it kills an app: longer than the apps' own
 * drain limit (SHUTDOWN_TIMEOUT_MS in @mfa/worker-host, 25 s), so an app gets to finish its
 * in-flight work or give up and say so itself.
 */
export const STOP_TIMEOUT_MS = 30_000;

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Whether an app we asked to stop stopped cleanly. A draining app exits 0 (1 when its drain
 * failed or ran out of time); one ended by the stop signal itself had not yet installed its
 * drain handler, so it had nothing in flight. Anything else (SIGKILL, a crash) is a failure.
 */
export function stoppedCleanly(exit: AppExit): boolean {
  if (exit.signal !== null) return exit.signal === 'SIGTERM' || exit.signal === 'SIGINT';
  return exit.code === 0;
}

export function describeExit(exit: AppExit): string {
  return exit.signal ?? `code ${exit.code}`;
}
