import { freePort, TEST_POSTGRES_URL } from '@mfa/testing';
import { spawnApp, type AppName } from '../../e2e/src/stack';
import { loneAppEnv, stderrOf } from './app-env';

/** A PostgreSQL URL on the test server naming a database that does not exist. */
function missingDatabaseUrl(): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/mfa_missing_${Date.now()}`;
  return url.toString();
}

/**
 * API.md §6 and STYLE.md 8: a setting the app cannot use stops the start with one clear line on
 * stderr naming the variable, and a non-zero exit; never a stack trace.
 */
describe('start-up with a setting the app cannot use', () => {
  const cases: Array<[AppName, string, string, () => Promise<string> | string, RegExp]> = [
    ['gateway', 'DATABASE_URL', 'garbage', () => 'garbage', /^gateway: DATABASE_URL must start with sqlite: or postgres:\/\/$/],
    ['gateway', 'DATABASE_URL', 'mysql://…', () => 'mysql://root@127.0.0.1/mfa', /^gateway: DATABASE_URL must start with sqlite: or postgres:\/\/$/],
    ['gateway', 'DATABASE_URL', 'sqlite:', () => 'sqlite:', /^gateway: DATABASE_URL sqlite: needs a file path/],
    ['gateway', 'DATABASE_URL', 'an unreachable PostgreSQL', async () => `postgres://postgres@127.0.0.1:${await freePort()}/mfa`, /^gateway: DATABASE_URL: cannot open the database: connect ECONNREFUSED/],
    ['gateway', 'DATABASE_URL', 'a database that does not exist', missingDatabaseUrl, /^gateway: DATABASE_URL: cannot open the database: database "mfa_missing_\d+" does not exist$/],
    ...(['gateway', 'otp-worker'] as const).flatMap((app): Array<[AppName, string, string, () => string, RegExp]> =>
      [
        ['redis://127.0.0.1:notaport', new RegExp(`^${app}: REDIS_URL redis://: the port must be a number from 1 to 65535$`)],
        ['redis-sentinel://', new RegExp(`^${app}: REDIS_URL redis-sentinel:// needs host:port`)],
        ['garbage', new RegExp(`^${app}: REDIS_URL must start with redis://, rediss://, redis-sentinel:// or redis-cluster://$`)],
        ['http://x', new RegExp(`^${app}: REDIS_URL must start with redis://`)],
      ].map(([url, expected]): [AppName, string, string, () => string, RegExp] => [app, 'REDIS_URL', String(url), () => String(url), expected as RegExp]),
    ),
  ];

  it.each(cases)('%s with %s %s: one line on stderr, exit 1', async (app, variable, _label, value, expected) => {
    const { env, dispose } = loneAppEnv({ [variable]: await value() });
    let timer: NodeJS.Timeout | undefined;
    try {
      const started = await spawnApp(app, app, env);
      const stderr = stderrOf(started);
      const exit = await Promise.race([started.exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), 15_000)))]);
      if (exit === 'running') started.child.kill('SIGKILL');
      expect(exit).toEqual({ code: 1, signal: null });
      const lines = stderr().split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
      expect(started.output.join('')).not.toMatch(/ExceptionHandler|^\s+at /m);
    } finally {
      clearTimeout(timer);
      dispose();
    }
  });
});
