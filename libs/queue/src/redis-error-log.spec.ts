import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '@mfa/observability';
import { logConnectionErrors } from './redis-error-log';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const lines = (): Array<Record<string, unknown>> =>
    output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger: createLogger('test-app', sink, 'info'), lines };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('logConnectionErrors', () => {
  let clock = 0;
  const now = (): number => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('logs the first error of an outage as one JSON line naming the connection, then nothing while it repeats', () => {
    const { logger, lines } = capturingLogger();
    const connection = new EventEmitter();
    logConnectionErrors(connection, { logger, connection: 'bull', repeatMs: 30_000, now });
    for (let i = 0; i < 14; i++) {
      connection.emit('error', refused());
      clock += 2_000;
    }
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 'error', service: 'test-app', connection: 'bull', msg: 'redis connection error', err: { message: 'connect ECONNREFUSED 127.0.0.1:6379', errorCode: 'ECONNREFUSED' } });
  });

  it('while the error goes on, one line per repeat period with how many errors it stands for', () => {
    const { logger, lines } = capturingLogger();
    const connection = new EventEmitter();
    logConnectionErrors(connection, { logger, connection: 'request', repeatMs: 30_000, now });
    for (let i = 0; i <= 30; i++) {
      connection.emit('error', refused());
      clock += 2_000;
    }
    // Errors at 0, 2, …, 60 s: the first, then at 30 s and 60 s.
    expect(lines().map((line) => line.msg)).toEqual(['redis connection error', 'redis connection still failing', 'redis connection still failing']);
    expect(lines()[1]).toMatchObject({ connection: 'request', failingForMs: 30_000, errorsSinceLastLine: 15 });
  });

  it('logs one line when the connection is ready again, and the next outage from its first error', () => {
    const { logger, lines } = capturingLogger();
    const connection = new EventEmitter();
    logConnectionErrors(connection, { logger, connection: 'bull', now });
    connection.emit('ready');
    connection.emit('error', refused());
    clock += 4_000;
    connection.emit('error', refused());
    connection.emit('ready');
    connection.emit('ready');
    connection.emit('error', refused());
    expect(lines().map((line) => line.msg)).toEqual(['redis connection error', 'redis connection recovered', 'redis connection error']);
    expect(lines()[1]).toMatchObject({ level: 'info', connection: 'bull', failedForMs: 4_000 });
  });

  it('can take the end of an outage from another emitter (a BullMQ worker from its connection)', () => {
    const { logger, lines } = capturingLogger();
    const worker = new EventEmitter();
    const connection = new EventEmitter();
    logConnectionErrors(worker, { logger, connection: 'worker otp', readySource: connection, now });
    worker.emit('error', refused());
    connection.emit('ready');
    expect(lines().map((line) => [line.connection, line.msg])).toEqual([
      ['worker otp', 'redis connection error'],
      ['worker otp', 'redis connection recovered'],
    ]);
  });
});
