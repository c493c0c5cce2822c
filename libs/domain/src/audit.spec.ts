import { describe, expect, it } from '@jest/globals';
import { AuditEventType } from './audit';

describe('AuditEventType', () => {
  it.each(Object.entries(AuditEventType))('%s is stored as %s (snake_case of its name)', (name, value) => {
    const snake = name.replace(/[A-Z]/g, (letter, index: number) => `${index === 0 ? '' : '_'}${letter.toLowerCase()}`);
    expect(value).toBe(snake);
  });

  it('holds the 20 event types of the audit log, each value unique', () => {
    const values = Object.values(AuditEventType);
    expect(values).toHaveLength(20);
    expect(new Set(values).size).toBe(20);
  });
});
