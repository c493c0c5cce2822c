import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('redacts codes, secrets and contact details at any depth, keeps ids', () => {
    let output = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const logger = createLogger('test', sink, 'info');
    logger.info({ code: '123456', job: { phone_number: '+14155550123', nested: { secret: 'S3CR3T' } }, challengeId: 'chl_1' }, 'sent');
    expect(output).not.toContain('123456');
    expect(output).not.toContain('+14155550123');
    expect(output).not.toContain('S3CR3T');
    expect(output).toContain('chl_1');
    expect(JSON.parse(output)).toMatchObject({ service: 'test', level: 'info', msg: 'sent' });
  });
});
