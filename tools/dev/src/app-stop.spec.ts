import { SHUTDOWN_TIMEOUT_MS } from '@mfa/worker-host';
import { STOP_TIMEOUT_MS, stoppedCleanly } from './app-stop';

describe('stopping the apps of npm start', () => {
  it('waits longer than an app may take to drain before it kills the app', () => {
    expect(STOP_TIMEOUT_MS).toBeGreaterThan(SHUTDOWN_TIMEOUT_MS);
  });

  it.each([
    ['drained and exited 0', { code: 0, signal: null }, true],
    ['ended by SIGTERM before it had a drain handler', { code: null, signal: 'SIGTERM' as const }, true],
    ['ended by SIGINT (Ctrl-C) before it had a drain handler', { code: null, signal: 'SIGINT' as const }, true],
    ['gave up draining (exit 1)', { code: 1, signal: null }, false],
    ['was killed', { code: null, signal: 'SIGKILL' as const }, false],
    ['crashed', { code: null, signal: 'SIGSEGV' as const }, false],
  ])('an app that %s stopped cleanly: %s', (_case, exit, clean) => {
    expect(stoppedCleanly(exit)).toBe(clean);
  });
});
