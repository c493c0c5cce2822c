import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; output: () => string } {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  return { logger: createLogger('test', sink, 'info'), output: () => output };
}

describe('createLogger', () => {
  it('redacts codes, secrets and contact details at any depth, keeps ids', () => {
    const { logger, output } = capturingLogger();
    logger.info({ code: '123456', job: { phone_number: '+14155550123', nested: { secret: 'S3CR3T' } }, challengeId: 'chl_1' }, 'sent');
    expect(output()).not.toContain('123456');
    expect(output()).not.toContain('+14155550123');
    expect(output()).not.toContain('S3CR3T');
    expect(output()).toContain('chl_1');
    expect(JSON.parse(output())).toMatchObject({ service: 'test', level: 'info', msg: 'sent' });
  });

  it("keeps an error's own code as errorCode", () => {
    const { logger, output } = capturingLogger();
    logger.error({ err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) }, 'database down');
    expect(JSON.parse(output()).err).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', errorCode: 'ECONNREFUSED' });
  });
});
